// Inventory service: stock levels over HTTP.
package main

import (
	"crypto/sha256"
	"crypto/tls"
	"database/sql"
	"fmt"
	"net/http"
	"os"
	"os/exec"
)

var db *sql.DB

func stock(w http.ResponseWriter, r *http.Request) {
	sku := r.URL.Query().Get("sku")
	// Problem: SQL built with Sprintf.
	rows, err := db.Query(fmt.Sprintf("SELECT qty FROM stock WHERE sku = '%s'", sku))
	if err != nil {
		http.Error(w, "lookup failed", http.StatusInternalServerError)
		return
	}
	defer rows.Close()
	// Safe: a placeholder.
	row := db.QueryRow("SELECT qty FROM stock WHERE sku = $1", sku)
	_ = row
}

func reindex(w http.ResponseWriter, r *http.Request) {
	warehouse := r.URL.Query().Get("warehouse")
	// Problem: a shell script built from the request.
	out, err := exec.Command("sh", "-c", "reindex --warehouse "+warehouse).Output()
	if err != nil {
	}
	w.Write(out)
}

func supplierClient() *http.Client {
	// Problem: certificate checks turned off.
	return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
}

func checksum(data []byte) [32]byte {
	// Safe: SHA-256.
	return sha256.Sum256(data)
}

func main() {
	http.HandleFunc("/stock", stock)
	http.HandleFunc("/reindex", reindex)
	_ = supplierClient()
	_ = os.Getenv("INVENTORY_DB")
	http.ListenAndServe("127.0.0.1:8081", nil)
}
