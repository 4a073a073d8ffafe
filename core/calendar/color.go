package calendar

// DefaultColor is the first colour of the palette.
const DefaultColor = "#0b57d0"

// palette colours calendars that have no colour of their own: the same
// for every client and page, picked by the calendar's id so it never
// changes (Apple clients otherwise invent one on each device).
var palette = []string{DefaultColor, "#1a7f37", "#b3261e", "#8250df", "#bf5700", "#0a7c86", "#a8327d", "#5c6b00"}

// ShownColor is c's own colour (as a client stored it: #RRGGBB or
// #RRGGBBAA), else a stable default derived from its id.
func (c *Collection) ShownColor() string {
	if c.Color != "" {
		return c.Color
	}
	i := c.ContainerID % int64(len(palette))
	if i < 0 {
		i = -i
	}
	return palette[i]
}
