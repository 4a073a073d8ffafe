package acl

import "slices"

// Privilege is an RFC 3744 privilege; the string is its DAV: local name.
type Privilege string

const (
	PrivRead                 Privilege = "read"
	PrivReadCurrentUserPrivs Privilege = "read-current-user-privilege-set"
	PrivWrite                Privilege = "write"
	PrivWriteContent         Privilege = "write-content"
	PrivWriteProperties      Privilege = "write-properties"
	PrivBind                 Privilege = "bind"
	PrivUnbind               Privilege = "unbind"
	PrivUnlock               Privilege = "unlock"
	PrivReadACL              Privilege = "read-acl"
	PrivWriteACL             Privilege = "write-acl"
	PrivAll                  Privilege = "all"
)

// Privileges returns the DAV privileges a level gives on a resource, a
// container (collection) or an item. Aggregates come with what they
// contain (write holds write-content, write-properties, bind and unbind;
// all holds everything), so clients that test either form agree.
func Privileges(l Level, collection bool) []Privilege {
	var ps []Privilege
	if l >= Read {
		ps = append(ps, PrivRead, PrivReadCurrentUserPrivs)
	}
	switch {
	case l >= Write:
		ps = append(ps, PrivWrite, PrivWriteContent, PrivWriteProperties, PrivBind, PrivUnbind, PrivUnlock)
	case l == Limited && collection:
		ps = append(ps, PrivBind)
	}
	if l >= Full {
		ps = append(ps, PrivAll, PrivReadACL, PrivWriteACL)
	}
	return ps
}

// Allows reports whether level l gives privilege p on a resource.
func Allows(l Level, collection bool, p Privilege) bool {
	return slices.Contains(Privileges(l, collection), p)
}
