package secret

import (
	"strings"
	"testing"
)

func TestHashAndCheck(t *testing.T) {
	h := HashPassword("correct horse")
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("hash %q", h)
	}
	if !CheckPassword(h, "correct horse") {
		t.Error("right password refused")
	}
	if CheckPassword(h, "correct horsE") {
		t.Error("wrong password accepted")
	}
	if HashPassword("correct horse") == h {
		t.Error("two hashes of one password are equal: no salt")
	}
	for _, bad := range []string{"", "plain", "$argon2i$v=19$m=1,t=1,p=1$c2FsdA$aGFzaA", "$argon2id$v=19$m=9999999999,t=1,p=1$c2FsdA$aGFzaA"} {
		if CheckPassword(bad, "") {
			t.Errorf("malformed hash %q matched", bad)
		}
	}
	if Digest("a") == Digest("b") || len(Token(24)) != 32 {
		t.Error("digest or token")
	}
}

// FuzzCheckPassword: any stored string, however malformed, is refused
// without a panic and without an unbounded allocation.
func FuzzCheckPassword(f *testing.F) {
	f.Add(HashPassword("seed-password"), "seed-password")
	f.Add("$argon2id$v=19$m=8,t=1,p=1$$", "")
	f.Add("$argon2id$v=19$m=1048577,t=1,p=1$c2FsdA$aGFzaA", "x")
	f.Fuzz(func(t *testing.T, encoded, password string) {
		CheckPassword(encoded, password)
	})
}
