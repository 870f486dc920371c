package main

import (
	"crypto/md5"
	"encoding/hex"
	"html/template"
	"net/http"
	"os"
	"path/filepath"
)

const docsRoot = "/srv/shop/docs"

var page = template.Must(template.New("doc").Parse(`<h1>{{.Title}}</h1><pre>{{.Body}}</pre>`))

func docHandler(w http.ResponseWriter, r *http.Request) {
	name := filepath.Base(r.URL.Query().Get("name"))
	body, err := os.ReadFile(filepath.Join(docsRoot, name))
	if err != nil {
		http.NotFound(w, r)
		return
	}
	sum := md5.Sum(body)
	w.Header().Set("ETag", `"`+hex.EncodeToString(sum[:])+`"`)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = page.Execute(w, map[string]string{"Title": name, "Body": string(body)})
}

func main() {
	http.HandleFunc("/docs", docHandler)
	_ = http.ListenAndServe(":8080", nil)
}
