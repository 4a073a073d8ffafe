package webui

import "plaza/core"

// modulePages maps a module to the path of its page under /s/SLUG/. A
// module with a page shows in a space's navigation when the space has it
// on; add a line here when a module gets a page.
func modulePages() map[core.Module]string {
	return map[core.Module]string{
		core.ModFiles:      "files",
		core.ModCalendar:   "agenda",
		core.ModContacts:   "contacts",
		core.ModForum:      "forum",
		core.ModNews:       "news",
		core.ModTasks:      "tasks",
		core.ModPolls:      "polls",
		core.ModChat:       "chat",
		core.ModLinks:      "links",
		core.ModWiki:       "wiki",
		core.ModNewsletter: "newsletter",
	}
}

// navLink is one entry of a space's module navigation.
type navLink struct {
	Module core.Module
	Path   string
}

// navLinks returns the links of the modules on, in display order.
func navLinks(on []core.Module) []navLink {
	pages := modulePages()
	var out []navLink
	for _, m := range on {
		if p, ok := pages[m]; ok {
			out = append(out, navLink{Module: m, Path: p})
		}
	}
	return out
}
