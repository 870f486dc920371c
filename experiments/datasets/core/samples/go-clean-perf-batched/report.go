package report

import (
	"database/sql"
	"regexp"
	"strings"

	"github.com/lib/pq"
)

var validSKU = regexp.MustCompile(`^[A-Z]{2}-\d{4}$`)

func SkuNames(db *sql.DB, skus []string) (map[string]string, error) {
	wanted := make([]string, 0, len(skus))
	for _, sku := range skus {
		if validSKU.MatchString(sku) {
			wanted = append(wanted, sku)
		}
	}
	rows, err := db.Query("SELECT sku, name FROM products WHERE sku = ANY($1)", pq.Array(wanted))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	names := make(map[string]string, len(wanted))
	for rows.Next() {
		var sku, name string
		if err := rows.Scan(&sku, &name); err != nil {
			return nil, err
		}
		names[sku] = strings.TrimSpace(name)
	}
	return names, rows.Err()
}

func Summary(names map[string]string) string {
	var b strings.Builder
	for sku, name := range names {
		b.WriteString(sku + ": " + name + "\n")
	}
	return b.String()
}
