package webui

import (
	"fmt"
	"testing"
)

// TestAgendaKeys: the keys the agenda and contacts pages build at run
// time (day and month names, address types) exist in both languages.
func TestAgendaKeys(t *testing.T) {
	cat, err := loadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for i := 1; i <= 7; i++ {
		keys = append(keys, fmt.Sprintf("agenda.wd.%d", i), fmt.Sprintf("agenda.weekday.%d", i))
	}
	for i := 1; i <= 12; i++ {
		keys = append(keys, fmt.Sprintf("agenda.month.%d", i))
	}
	keys = append(keys, "agenda.all_day", "contacts.type.home", "contacts.type.work")
	for _, k := range keys {
		en, fr := cat["en"][k], cat["fr"][k]
		if en == "" || fr == "" {
			t.Errorf("%s: en %q fr %q", k, en, fr)
		}
	}
	if cat["en"]["agenda.weekday.1"] == cat["fr"]["agenda.weekday.1"] {
		t.Error("weekday names are not translated")
	}
}
