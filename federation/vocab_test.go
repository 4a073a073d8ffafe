package federation_test

import (
	"context"
	"testing"

	"github.com/go-fed/activity/streams"
	"github.com/go-fed/activity/streams/vocab"
)

// asVocab resolves a document with go-fed/activity's ActivityStreams
// vocabulary (what GoToSocial parses peers with): it must resolve to the
// type it claims, with its id.
func asVocab(t *testing.T, doc map[string]any) vocab.Type {
	t.Helper()
	typ, err := streams.ToType(context.Background(), doc)
	if err != nil {
		t.Fatalf("go-fed cannot resolve %v: %v", doc["id"], err)
	}
	if typ.GetTypeName() != doc["type"] {
		t.Fatalf("go-fed resolves %v as %s", doc["type"], typ.GetTypeName())
	}
	if id := typ.GetJSONLDId(); id == nil || id.Get().String() != doc["id"] {
		t.Fatalf("go-fed reads no id for %v", doc["id"])
	}
	return typ
}

// vocabGroup checks the Group's inbox, outbox and public key through go-fed.
func vocabGroup(t *testing.T, doc map[string]any) {
	t.Helper()
	g, ok := asVocab(t, doc).(vocab.ActivityStreamsGroup)
	if !ok {
		t.Fatal("not a go-fed Group")
	}
	if g.GetActivityStreamsInbox().GetIRI().String() != doc["inbox"] || g.GetActivityStreamsOutbox().GetIRI().String() != doc["outbox"] ||
		g.GetActivityStreamsFollowers().GetIRI().String() != doc["followers"] {
		t.Fatal("go-fed reads other collections")
	}
	pk := g.GetW3IDSecurityV1PublicKey()
	if pk == nil || pk.Len() != 1 || !pk.At(0).IsW3IDSecurityV1PublicKey() {
		t.Fatal("go-fed reads no publicKey")
	}
	k := pk.At(0).Get()
	if k.GetW3IDSecurityV1Owner().Get().String() != doc["id"] || k.GetW3IDSecurityV1PublicKeyPem().Get() == "" {
		t.Fatal("go-fed reads another key owner")
	}
}

// vocabNote checks a reply's inReplyTo and audience through go-fed.
func vocabNote(t *testing.T, doc map[string]any, parent, group string) {
	t.Helper()
	n, ok := asVocab(t, doc).(vocab.ActivityStreamsNote)
	if !ok {
		t.Fatal("not a go-fed Note")
	}
	if r := n.GetActivityStreamsInReplyTo(); r == nil || r.Len() != 1 || r.At(0).GetIRI().String() != parent {
		t.Fatal("go-fed reads another inReplyTo")
	}
	if a := n.GetActivityStreamsAudience(); a == nil || a.Len() != 1 || a.At(0).GetIRI().String() != group {
		t.Fatal("go-fed reads another audience")
	}
}

// vocabPage checks a topic's name and audience through go-fed.
func vocabPage(t *testing.T, doc map[string]any, group string) {
	t.Helper()
	p, ok := asVocab(t, doc).(vocab.ActivityStreamsPage)
	if !ok {
		t.Fatal("not a go-fed Page")
	}
	if nm := p.GetActivityStreamsName(); nm == nil || nm.Len() != 1 || nm.At(0).GetXMLSchemaString() != doc["name"] {
		t.Fatal("go-fed reads another name")
	}
	if a := p.GetActivityStreamsAudience(); a == nil || a.Len() != 1 || a.At(0).GetIRI().String() != group {
		t.Fatal("go-fed reads another audience")
	}
}
