package settings_test

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"plaza/core"
	"plaza/core/account"
	"plaza/core/coretest"
	"plaza/core/settings"
	"plaza/core/store"
)

func TestWidgetLayouts(t *testing.T) {
	coretest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		st := settings.New(db)
		accts := account.New(db, nil)
		ann, _ := accts.Create(ctx, account.NewAccount{Login: "ann", Password: "ann-password"})
		bob, _ := accts.Create(ctx, account.NewAccount{Login: "bob", Password: "bob-password"})
		known := []string{"activity", "tasks", "events"}
		got, err := st.Widgets(ctx, ann.ID, settings.ScopeHome, known)
		want := []settings.Widget{{Name: "activity"}, {Name: "tasks"}, {Name: "events"}}
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("default layout: %v %v", got, err)
		}
		if err := st.SetWidgets(ctx, ann.ID, settings.ScopeHome, []settings.Widget{{Name: "events"}, {Name: "activity", Hidden: true}, {Name: "gone"}}); err != nil {
			t.Fatal(err)
		}
		got, _ = st.Widgets(ctx, ann.ID, settings.ScopeHome, known)
		want = []settings.Widget{{Name: "events"}, {Name: "activity", Hidden: true}, {Name: "tasks"}}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("stored layout: %v, want %v", got, want)
		}
		// Per person and per scope.
		if got, _ := st.Widgets(ctx, bob.ID, settings.ScopeHome, known); got[0].Name != "activity" {
			t.Errorf("bob got ann's layout: %v", got)
		}
		if got, _ := st.Widgets(ctx, ann.ID, settings.ScopeSpace, known); got[0].Name != "activity" || got[0].Hidden {
			t.Errorf("the space scope got the home layout: %v", got)
		}
		for _, bad := range [][]settings.Widget{{{Name: "Bad Name"}}, {{Name: "tasks"}, {Name: "tasks"}}} {
			if err := st.SetWidgets(ctx, ann.ID, settings.ScopeHome, bad); !errors.Is(err, core.ErrInvalid) {
				t.Errorf("%v: %v, want invalid", bad, err)
			}
		}
		if _, err := st.Widgets(ctx, ann.ID, "elsewhere", known); !errors.Is(err, core.ErrInvalid) {
			t.Errorf("unknown scope: %v", err)
		}
	})
}
