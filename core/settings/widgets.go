package settings

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"plaza/core"
	"plaza/core/store"
)

// Dashboard scopes: a person's home across spaces, and the dashboard of
// every space (one layout for all of them).
const (
	ScopeHome  = "home"
	ScopeSpace = "space"
)

// Widget is one block of a dashboard, in a person's layout.
type Widget struct {
	Name   string
	Hidden bool
}

var widgetName = regexp.MustCompile(`^[a-z][a-z_]{0,30}$`)

func checkScope(scope string) error {
	if scope != ScopeHome && scope != ScopeSpace {
		return fmt.Errorf("%w: dashboard scope must be %s or %s", core.ErrInvalid, ScopeHome, ScopeSpace)
	}
	return nil
}

// Widgets returns accountID's layout of a dashboard over the widgets the
// page knows: the stored order and visibility, names the page no longer
// has dropped, and new ones (or all, for someone who never arranged
// them) shown at the end in the page's order.
func (s *Store) Widgets(ctx context.Context, accountID int64, scope string, known []string) ([]Widget, error) {
	if err := checkScope(scope); err != nil {
		return nil, err
	}
	var layout string
	err := store.Translate(s.db.NewRaw(`SELECT layout FROM dashboard_widgets WHERE account_id = ? AND scope = ?`,
		accountID, scope).Scan(ctx, &layout))
	if err != nil && !errors.Is(err, core.ErrNotFound) {
		return nil, err
	}
	var out []Widget
	seen := map[string]bool{}
	for _, item := range strings.Split(layout, ",") {
		w := Widget{Name: strings.TrimPrefix(item, "-"), Hidden: strings.HasPrefix(item, "-")}
		if slices.Contains(known, w.Name) && !seen[w.Name] {
			seen[w.Name] = true
			out = append(out, w)
		}
	}
	for _, name := range known {
		if !seen[name] {
			out = append(out, Widget{Name: name})
		}
	}
	return out, nil
}

// SetWidgets stores accountID's layout of a dashboard: order and
// visibility of each widget.
func (s *Store) SetWidgets(ctx context.Context, accountID int64, scope string, ws []Widget) error {
	if err := checkScope(scope); err != nil {
		return err
	}
	items := make([]string, 0, len(ws))
	seen := map[string]bool{}
	for _, w := range ws {
		if !widgetName.MatchString(w.Name) || seen[w.Name] {
			return fmt.Errorf("%w: bad or repeated widget name %q", core.ErrInvalid, w.Name)
		}
		seen[w.Name] = true
		if w.Hidden {
			items = append(items, "-"+w.Name)
		} else {
			items = append(items, w.Name)
		}
	}
	_, err := s.db.NewRaw(`INSERT INTO dashboard_widgets (account_id, scope, layout) VALUES (?, ?, ?)
		ON CONFLICT (account_id, scope) DO UPDATE SET layout = EXCLUDED.layout`, accountID, scope, strings.Join(items, ",")).Exec(ctx)
	return store.Translate(err)
}
