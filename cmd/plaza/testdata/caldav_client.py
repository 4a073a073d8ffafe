"""python3-caldav given only the server URL: one action per run, the
answer as JSON on stdout (used by discovery_test.go)."""
import json
import sys

import caldav

url, user, password, action = sys.argv[1:5]
args = sys.argv[5:]
client = caldav.DAVClient(url=url, username=user, password=password)
principal = client.principal()


def by_path(path):
    for c in principal.calendars():
        if c.url.path.rstrip("/").endswith("/" + path):
            return c
    raise SystemExit("no calendar " + path)


EVENT = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//python-caldav test//EN
BEGIN:VEVENT
UID:%s
DTSTAMP:20260101T090000Z
DTSTART:20260110T090000Z
DTEND:20260110T100000Z
SUMMARY:%s
END:VEVENT
END:VCALENDAR
"""

out = {}
if action == "list":
    out["calendars"] = sorted(c.url.path for c in principal.calendars())
    out["home"] = str(principal.calendar_home_set.url.path)
elif action == "create":
    cal = principal.make_calendar(name=args[0], cal_id=args[0])
    for uid in args[1:]:
        cal.save_event(EVENT % (uid, "made by python-caldav"))
    out["url"] = cal.url.path
elif action == "events":
    cal = by_path(args[0])
    out["uids"] = sorted(str(e.vobject_instance.vevent.uid.value) for e in cal.events())
elif action == "delete-event":
    by_path(args[0]).event_by_uid(args[1]).delete()
elif action == "delete-calendar":
    by_path(args[0]).delete()
print(json.dumps(out))
