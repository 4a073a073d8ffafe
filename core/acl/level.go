// Package acl is Plaza's one access decision: who may do what on a
// container (folder, calendar, address book, forum topic or category, task
// list, wiki folder) or a piece of content in it, whatever the protocol.
//
// The rules, from ARCHITECTURE.md:
//   - a container carries grants (principal, level); content inherits the
//     grants of its container; content that carries its own grants (news,
//     polls, items at a module's root) has a container of its own (kind
//     "item");
//   - principals: one account, a group, all members of a space, anonymous
//     visitors (read at most, and only in a public space, after its
//     password if it has one; not for guests outside their spaces);
//   - grants to accounts, groups and members count only for members of the
//     container's space (a person removed from a space loses them);
//   - the owner of a container and the author of content have full on it;
//   - a space administrator, and a platform owner or administrator, have
//     write on everything in a space;
//   - the highest level that applies wins;
//   - a module a space has turned off grants nothing, to anyone.
//
// The same SQL expression computes a level for one decision and filters
// listings, so a listing can never show what a decision would refuse.
package acl

import "fmt"

// Level orders what a subject may do, lowest to highest.
type Level int

const (
	None    Level = 0
	Read    Level = 1 // see the container and its content
	Limited Level = 2 // read, add content, change or delete own content
	Write   Level = 3 // change or delete any content
	Full    Level = 4 // edit the container itself and its grants
)

func (l Level) String() string {
	switch l {
	case None:
		return "none"
	case Read:
		return "read"
	case Limited:
		return "limited"
	case Write:
		return "write"
	case Full:
		return "full"
	}
	return fmt.Sprintf("level(%d)", int(l))
}

// ParseLevel reads a level name.
func ParseLevel(s string) (Level, bool) {
	for l := Read; l <= Full; l++ {
		if l.String() == s {
			return l, true
		}
	}
	return None, false
}

// ItemLevel is the level a subject has on one piece of content, given its
// level on the container and whether it wrote the content: authors have
// full on their own content, and limited is read on others' content.
func ItemLevel(container Level, author bool) Level {
	if author {
		return Full
	}
	if container == Limited {
		return Read
	}
	return container
}

// RoomRoleLevel maps an ONLYOFFICE DocSpace room role onto a level.
// Commenters and reviewers read (commenting is a read-level action).
func RoomRoleLevel(role string) (Level, bool) {
	switch role {
	case "viewer", "commenter", "reviewer":
		return Read, true
	case "form-filler", "content-creator":
		return Limited, true
	case "editor":
		return Write, true
	case "room-manager":
		return Full, true
	}
	return None, false
}
