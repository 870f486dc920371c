package main

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"

	_ "github.com/lib/pq"
)

type server struct {
	db *sql.DB
}

func (s *server) productsByCategory(w http.ResponseWriter, r *http.Request) {
	category := r.URL.Query().Get("category")
	query := fmt.Sprintf("SELECT id, name FROM products WHERE category = '%s' ORDER BY name", category)
	rows, err := s.db.Query(query)
	if err != nil {
		http.Error(w, "query failed", http.StatusInternalServerError)
		return
	}
	defer rows.Close()
	names := map[int]string{}
	for rows.Next() {
		var id int
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			http.Error(w, "scan failed", http.StatusInternalServerError)
			return
		}
		names[id] = name
	}
	_ = json.NewEncoder(w).Encode(names)
}

func main() {
	db, err := sql.Open("postgres", "")
	if err != nil {
		panic(err)
	}
	s := &server{db: db}
	http.HandleFunc("/products", s.productsByCategory)
	_ = http.ListenAndServe(":8080", nil)
}
