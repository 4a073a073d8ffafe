package webui

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"plaza/core"
	"plaza/core/chat"
)

// chatView loads the space and checks the chat module is on.
func (s *server) chatView(w http.ResponseWriter, r *http.Request, title string) (*view, bool) {
	if _, ok := s.requireUser(w, r); !ok {
		return nil, false
	}
	v := s.page(r, title)
	err := s.spaceView(r, v)
	if err == nil {
		err = s.moduleOn(v, core.ModChat)
	}
	if err == nil {
		err = s.Chat.CanJoin(r.Context(), core.SubjectFrom(r.Context()), v.Space.ID)
	}
	if err != nil {
		s.pageError(w, r, err)
		return nil, false
	}
	return v, true
}

// chatPage lists one's conversations in the space and starts new ones.
func (s *server) chatPage(w http.ResponseWriter, r *http.Request) {
	v, ok := s.chatView(w, r, "chat.title")
	if !ok {
		return
	}
	ctx := r.Context()
	who := core.SubjectFrom(ctx)
	cs, err := s.Chat.Conversations(ctx, who, v.Space.ID)
	var members []chat.Person
	if err == nil {
		members, err = s.Chat.Members(ctx, who, v.Space.ID)
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	others := members[:0]
	for _, m := range members {
		if m.ID != who.AccountID {
			others = append(others, m)
		}
	}
	v.Data = map[string]any{"Conversations": cs, "Members": others}
	s.render(w, r, http.StatusOK, "chat", v)
}

// chatStart is POST /s/{slug}/chat: one person chosen and no title makes
// (or finds) the one-to-one conversation; otherwise a group.
func (s *server) chatStart(w http.ResponseWriter, r *http.Request) {
	v, ok := s.chatView(w, r, "chat.title")
	if !ok {
		return
	}
	if err := s.parseForm(w, r); err != nil {
		s.pageError(w, r, err)
		return
	}
	var ids []int64
	for _, raw := range r.PostForm["member"] {
		id, err := strconv.ParseInt(raw, 10, 64)
		if err != nil {
			s.pageError(w, r, invalid("bad member"))
			return
		}
		ids = append(ids, id)
	}
	title := strings.TrimSpace(r.PostForm.Get("title"))
	kind := chat.Group
	if len(ids) == 1 && title == "" {
		kind = chat.Direct
	}
	c, err := s.Chat.Start(r.Context(), core.SubjectFrom(r.Context()), v.Space.ID, kind, title, ids)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/s/%s/chat/%d", v.Space.Slug, c.ID), http.StatusSeeOther)
}

// conversation loads the conversation of the path, in the view's space.
func (s *server) conversation(r *http.Request, v *view) (*chat.Conversation, error) {
	id, err := pathID(r, "conv")
	if err != nil {
		return nil, err
	}
	c, err := s.Chat.Conversation(r.Context(), core.SubjectFrom(r.Context()), id)
	if err != nil {
		return nil, err
	}
	if c.SpaceID != v.Space.ID {
		return nil, fmt.Errorf("conversation %d: %w", id, core.ErrNotFound)
	}
	return c, nil
}

// chatConversationPage shows a page of messages (?before=ID for older
// ones), a form to write (chat.js sends it over the WebSocket; without
// JavaScript it posts), and a video call link.
func (s *server) chatConversationPage(w http.ResponseWriter, r *http.Request) {
	v, ok := s.chatView(w, r, "chat.title")
	if !ok {
		return
	}
	ctx := r.Context()
	who := core.SubjectFrom(ctx)
	c, err := s.conversation(r, v)
	var before int64
	if err == nil && r.URL.Query().Get("before") != "" {
		before, err = strconv.ParseInt(r.URL.Query().Get("before"), 10, 64)
		if err != nil {
			err = invalid("before must be a message id")
		}
	}
	const pageSize = 50
	var ms []chat.Message
	if err == nil {
		ms, err = s.Chat.Messages(ctx, who, c.ID, before, pageSize)
	}
	var room string
	if err == nil {
		room, err = s.jitsi.Room(ctx, "conversation", c.ID)
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	var first, last int64
	if len(ms) > 0 {
		first, last = ms[0].ID, ms[len(ms)-1].ID
		if before == 0 && last > 0 {
			if err := s.Chat.MarkRead(ctx, who, c.ID, last); err != nil {
				s.pageError(w, r, err)
				return
			}
		}
	}
	if before == 0 {
		last = c.LastID
	}
	shown := make([]chatMessage, len(ms))
	for i := range ms {
		shown[i] = chatMessage{Message: ms[i], Own: ms[i].AuthorID != nil && *ms[i].AuthorID == who.AccountID}
	}
	v.Data = map[string]any{
		"Conversation": c,
		"Messages":     shown,
		"Me":           who.AccountID,
		"Older":        len(ms) == pageSize,
		"First":        first,
		"Last":         last,
		"Live":         before == 0,
		"Video":        s.jitsi.Link(room, v.User.Name, v.User.Email, false),
	}
	s.render(w, r, http.StatusOK, "chat_conversation", v)
}

// chatMessage is a message as the page shows it.
type chatMessage struct {
	chat.Message
	Own bool // the reader wrote it: may edit and delete it
}

func (s *server) chatBack(w http.ResponseWriter, r *http.Request, slug string, conv int64) {
	http.Redirect(w, r, fmt.Sprintf("/s/%s/chat/%d", slug, conv), http.StatusSeeOther)
}

// chatPost is POST /s/{slug}/chat/{conv}: a message without JavaScript.
func (s *server) chatPost(w http.ResponseWriter, r *http.Request) {
	v, ok := s.chatView(w, r, "chat.title")
	if !ok {
		return
	}
	c, err := s.conversation(r, v)
	if err == nil {
		err = s.parseForm(w, r)
	}
	if err == nil {
		_, err = s.Chat.Post(r.Context(), core.SubjectFrom(r.Context()), c.ID, r.PostForm.Get("body"))
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	s.chatBack(w, r, v.Space.Slug, c.ID)
}

// chatAttach is POST /s/{slug}/chat/{conv}/attach: a file, with an
// optional text.
func (s *server) chatAttach(w http.ResponseWriter, r *http.Request) {
	v, ok := s.chatView(w, r, "chat.title")
	if !ok {
		return
	}
	c, err := s.conversation(r, v)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, chat.MaxAttachment+1<<20)
	f, hdr, err := r.FormFile("file")
	if err != nil {
		s.pageError(w, r, invalid("choose a file"))
		return
	}
	defer f.Close()
	_, err = s.Chat.Attach(r.Context(), core.SubjectFrom(r.Context()), c.ID, r.FormValue("body"), hdr.Filename,
		hdr.Header.Get("Content-Type"), f)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	s.chatBack(w, r, v.Space.Slug, c.ID)
}

// chatMessageChange is POST /s/{slug}/chat/{conv}/message/{msg}/{edit|delete}.
func (s *server) chatMessageChange(w http.ResponseWriter, r *http.Request) {
	v, ok := s.chatView(w, r, "chat.title")
	if !ok {
		return
	}
	c, err := s.conversation(r, v)
	var id int64
	if err == nil {
		id, err = pathID(r, "msg")
	}
	if err == nil {
		err = s.parseForm(w, r)
	}
	if err == nil {
		who := core.SubjectFrom(r.Context())
		switch r.PathValue("action") {
		case "edit":
			_, err = s.Chat.Edit(r.Context(), who, id, r.PostForm.Get("body"))
		case "delete":
			err = s.Chat.Delete(r.Context(), who, id)
		default:
			err = fmt.Errorf("%w: no such action", core.ErrNotFound)
		}
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	s.chatBack(w, r, v.Space.Slug, c.ID)
}

// chatFile is GET /s/{slug}/chat/file/{file}: a file sent in a
// conversation the person may read.
func (s *server) chatFile(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.chatView(w, r, "chat.title"); !ok {
		return
	}
	id, err := pathID(r, "file")
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	a, f, err := s.Chat.OpenAttachment(r.Context(), core.SubjectFrom(r.Context()), id)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	defer f.Close()
	sendFile(w, a.Name, a.ContentType, "", "attachment")
	http.ServeContent(w, r, "", time.Time{}, f)
}
