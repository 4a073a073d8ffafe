package webui_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserManageTasks: in Chromium, a task's comment is shown and
// deleted, the task moves to another list, the reader follows a status
// of a list, and the list's statuses are renamed, added (hidden by
// default) and ordered (issue 18).
func TestBrowserManageTasks(t *testing.T) {
	w := startUI(t)
	ctx := browser(t)
	base := w.srv.URL
	login(t, ctx, base, "ann")
	var sprint, backlog string
	for _, name := range []string{"Backlog", "Sprint"} {
		run(t, ctx, "create the list "+name,
			chromedp.Navigate(base+"/s/team/tasks"),
			chromedp.WaitVisible(`#list-name`, chromedp.ByID),
			chromedp.SendKeys(`#list-name`, name, chromedp.ByID),
			chromedp.Click(`//button[text()="Create the list"]`, chromedp.BySearch),
			chromedp.WaitVisible(`#ti-new`, chromedp.ByID),
		)
		var loc string
		run(t, ctx, "where", chromedp.Location(&loc))
		if name == "Sprint" {
			sprint = loc
		} else {
			backlog = loc
		}
	}
	backlogID := backlog[strings.LastIndex(backlog, "/")+1:]
	var taskID string
	run(t, ctx, "add a task",
		chromedp.Navigate(sprint),
		chromedp.SendKeys(`#ti-new`, "Fix the door", chromedp.ByID),
		chromedp.Click(`//button[text()="Add the task"]`, chromedp.BySearch),
		chromedp.WaitVisible(`//a[@class="task-title" and text()="Fix the door"]`, chromedp.BySearch))
	run(t, ctx, "open it",
		chromedp.AttributeValue(`//li[.//a[text()="Fix the door"]]`, "data-id", &taskID, nil, chromedp.BySearch),
		chromedp.Click(`//a[@class="task-title" and text()="Fix the door"]`, chromedp.BySearch),
		chromedp.WaitVisible(`//h1[text()="Fix the door"]`, chromedp.BySearch),
	)
	var body string
	run(t, ctx, "read", chromedp.Evaluate(`document.querySelector("main").innerHTML`, &body))
	if !strings.Contains(body, `id="cm-`+taskID+`"`) {
		t.Fatalf("task %s page:\n%s", taskID, body)
	}
	run(t, ctx, "comment, then delete the comment",
		chromedp.SendKeys(`#cm-`+taskID, "On it", chromedp.ByID),
		chromedp.Click(`//form[contains(@class,"comment")]//button`, chromedp.BySearch),
		chromedp.WaitVisible(`//ul[@class="comments"]/li[contains(., "On it") and contains(., "Ann Admin")]`, chromedp.BySearch),
		chromedp.Click(`//ul[@class="comments"]/li[contains(., "On it")]//button`, chromedp.BySearch),
		chromedp.WaitNotPresent(`//ul[@class="comments"]`, chromedp.BySearch),
	)
	var listLink string
	run(t, ctx, "move the task to the backlog",
		chromedp.SetValue(`#mv-`+taskID, backlogID, chromedp.ByID),
		chromedp.Click(`#move button`, chromedp.ByQuery),
		chromedp.WaitVisible(`//p[@class="actions"]/a[text()="Backlog"]`, chromedp.BySearch),
		chromedp.Text(`//p[@class="actions"]/a`, &listLink, chromedp.BySearch),
		chromedp.Navigate(backlog),
		chromedp.WaitVisible(`//a[@class="task-title" and text()="Fix the door"]`, chromedp.BySearch),
	)
	run(t, ctx, "follow the To validate status",
		chromedp.Click(`//a[text()="Statuses and notifications"]`, chromedp.BySearch),
		chromedp.WaitVisible(`#follow`, chromedp.ByID),
		chromedp.Click(`//li[contains(., "When a task reaches To validate")]//button[text()="Follow"]`, chromedp.BySearch),
		chromedp.WaitVisible(`//li[contains(., "When a task reaches To validate")]//button[text()="Stop"]`, chromedp.BySearch),
	)
	var names []string
	run(t, ctx, "rename a status, add a hidden one second",
		chromedp.SetValue(`#st-name-0`, "Open", chromedp.ByID),
		chromedp.SendKeys(`#st-name-new`, "Blocked", chromedp.ByID),
		chromedp.SetValue(`#st-pos-new`, "2", chromedp.ByID),
		chromedp.Click(`#st-vis-new`, chromedp.ByID),
		chromedp.Click(`//button[text()="Save the statuses"]`, chromedp.BySearch),
		chromedp.WaitVisible(`//input[@id="st-name-1" and @value="Blocked"]`, chromedp.BySearch),
		chromedp.Evaluate(`[...document.querySelectorAll("#statuses input[id^=st-name-]:not(#st-name-new)")].map(e => e.value + (document.getElementById("st-vis-" + e.id.slice(8)).checked ? "" : " (hidden)"))`, &names),
	)
	if got := strings.Join(names, ", "); got != "Open, Blocked (hidden), In progress, To validate, Done" {
		t.Errorf("statuses after saving: %s", got)
	}
	run(t, ctx, "the follow survives the renaming",
		chromedp.WaitVisible(`//li[contains(., "When a task reaches To validate")]//button[text()="Stop"]`, chromedp.BySearch))
	_ = fmt.Sprint(listLink)
}
