package acl_test

import (
	"context"
	"testing"

	"plaza/core/acl"
	"plaza/core/coretest"
)

// BenchmarkLevel measures one access decision: every DAV request makes
// at least one.
func BenchmarkLevel(b *testing.B) {
	for _, d := range coretest.Dialects() {
		b.Run(string(d), func(b *testing.B) {
			w := build(b, coretest.OpenDB(b, d))
			ctx := context.Background()
			who, id := w.subjects["carol"], w.conts["highest"]
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := w.eng.Level(ctx, who, acl.Target{ContainerID: id}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
