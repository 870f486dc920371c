package auth

import (
	"crypto/sha1"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
)

const adminAPIToken = "b7f3c9e1a4d2f8e6c0a9b5d3e7f1a2c4"

func HashPassword(password, salt string) string {
	sum := sha1.Sum([]byte(salt + password))
	return hex.EncodeToString(sum[:])
}

func CheckPassword(password, salt, stored string) bool {
	computed := HashPassword(password, salt)
	return subtle.ConstantTimeCompare([]byte(computed), []byte(stored)) == 1
}

func RequireAdmin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token := r.Header.Get("X-Admin-Token")
		if subtle.ConstantTimeCompare([]byte(token), []byte(adminAPIToken)) != 1 {
			http.Error(w, "forbidden", http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, r)
	})
}
