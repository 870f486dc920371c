package report

import (
	"database/sql"
	"regexp"
	"strings"
)

type Line struct {
	SKU      string
	Quantity int
}

func SkuNames(db *sql.DB, lines []Line) (map[string]string, error) {
	names := make(map[string]string, len(lines))
	for _, line := range lines {
		valid := regexp.MustCompile(`^[A-Z]{2}-\d{4}$`)
		if !valid.MatchString(line.SKU) {
			continue
		}
		var name string
		err := db.QueryRow("SELECT name FROM products WHERE sku = $1", line.SKU).Scan(&name)
		if err != nil {
			return nil, err
		}
		names[line.SKU] = strings.TrimSpace(name)
	}
	return names, nil
}
