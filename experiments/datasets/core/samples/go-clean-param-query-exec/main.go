package main

import (
	"database/sql"
	"encoding/json"
	"net/http"
	"os/exec"
	"strconv"
)

type api struct {
	db *sql.DB
}

func (a *api) product(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.Atoi(r.URL.Query().Get("id"))
	if err != nil {
		http.Error(w, "bad id", http.StatusBadRequest)
		return
	}
	var name string
	var price int
	err = a.db.QueryRow("SELECT name, price_cents FROM products WHERE id = $1", id).Scan(&name, &price)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"id": id, "name": name, "price": price})
}

func (a *api) version(w http.ResponseWriter, r *http.Request) {
	out, err := exec.Command("git", "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		http.Error(w, "unknown", http.StatusInternalServerError)
		return
	}
	_, _ = w.Write(out)
}

func main() {
	db, err := sql.Open("postgres", "")
	if err != nil {
		panic(err)
	}
	a := &api{db: db}
	http.HandleFunc("/product", a.product)
	http.HandleFunc("/version", a.version)
	_ = http.ListenAndServe(":8080", nil)
}
