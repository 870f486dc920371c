package main

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
)

const assetRoot = "/srv/shop/assets"

func assetHandler(w http.ResponseWriter, r *http.Request) {
	name := r.URL.Query().Get("file")
	if name == "" || strings.HasPrefix(name, "/") {
		http.Error(w, "bad file name", http.StatusBadRequest)
		return
	}
	path := filepath.Join(assetRoot, filepath.Clean(name))
	data, err := os.ReadFile(path)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	_, _ = w.Write(data)
}

func main() {
	http.HandleFunc("/assets", assetHandler)
	_ = http.ListenAndServe(":8080", nil)
}
