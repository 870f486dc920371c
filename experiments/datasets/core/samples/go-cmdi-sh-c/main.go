package main

import (
	"net/http"
	"os/exec"
)

func backupHandler(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	label := r.FormValue("label")
	script := "pg_dump shop | gzip > /var/backups/shop-" + label + ".sql.gz"
	out, err := exec.Command("sh", "-c", script).CombinedOutput()
	if err != nil {
		http.Error(w, string(out), http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func main() {
	http.HandleFunc("/admin/backup", backupHandler)
	_ = http.ListenAndServe(":8080", nil)
}
