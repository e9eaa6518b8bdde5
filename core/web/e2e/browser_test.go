package e2e_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// browser is one headless Chromium with a fresh profile, recording every
// console error, uncaught exception, failed request and answer ≥ 400; at the
// end of the test any of them the test did not expect fails it.
type browser struct {
	t     *testing.T
	ctx   context.Context
	shots string
	n     int

	mu       sync.Mutex
	problems []string
	expected []expectation
	urls     map[network.RequestID]string
}

type expectation struct {
	status int
	path   string // part of the URL
}

func newBrowser(t *testing.T, width, height int64, mobile bool) *browser {
	t.Helper()
	exe := chromium(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("lang", "zh-CN"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(int(width), int(height)),
	)
	b := &browser{t: t, shots: shotDir(t), urls: map[network.RequestID]string{}}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx, chromedp.WithListener(b.listen))
	b.ctx = ctx
	t.Cleanup(func() {
		cancelC()
		cancelA()
		b.mu.Lock()
		defer b.mu.Unlock()
		for _, p := range b.problems {
			t.Errorf("browser: %s", p)
		}
	})
	// The first Run starts the browser; it must not carry a deadline.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	if mobile {
		b.run(chromedp.EmulateViewport(width, height, chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulateTouch))
	}
	return b
}

func (b *browser) listen(ev any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch e := ev.(type) {
	case *network.EventRequestWillBeSent:
		b.urls[e.RequestID] = e.Request.URL
	case *network.EventResponseReceived:
		if e.Response.Status >= 400 && !b.isExpected(int(e.Response.Status), e.Response.URL) {
			b.problems = append(b.problems, fmt.Sprintf("answer %d for %s", e.Response.Status, e.Response.URL))
		}
	case *network.EventLoadingFailed:
		if !e.Canceled && !b.isExpected(0, b.urls[e.RequestID]) {
			b.problems = append(b.problems, fmt.Sprintf("request failed (%s): %s", e.ErrorText, b.urls[e.RequestID]))
		}
	case *runtime.EventExceptionThrown:
		d := e.ExceptionDetails
		text := d.Text
		if d.Exception != nil {
			text += " " + d.Exception.Description
		}
		b.problems = append(b.problems, fmt.Sprintf("exception: %s (%s:%d)", text, d.URL, d.LineNumber))
	case *runtime.EventConsoleAPICalled:
		if e.Type == runtime.ConsoleAPICalledTypeError || e.Type == runtime.ConsoleAPICalledTypeAssert {
			var parts []string
			for _, a := range e.Args {
				if a.Value != nil {
					parts = append(parts, string(a.Value))
				} else {
					parts = append(parts, a.Description)
				}
			}
			b.problems = append(b.problems, "console."+string(e.Type)+": "+strings.Join(parts, " "))
		}
	case *log.EventEntryAdded:
		if e.Entry.Level == log.EntryLevelError {
			// A refused answer the test expects is logged as a failed resource.
			for _, x := range b.expected {
				if strings.Contains(e.Entry.URL, x.path) && (x.status == 0 || strings.Contains(e.Entry.Text, fmt.Sprint(x.status))) {
					return
				}
			}
			b.problems = append(b.problems, "log: "+e.Entry.Text+" "+e.Entry.URL)
		}
	}
}

func (b *browser) isExpected(status int, url string) bool {
	for _, x := range b.expected {
		if x.status == status && strings.Contains(url, x.path) {
			return true
		}
	}
	return false
}

// expect declares an answer ≥ 400 the test provokes on purpose; status 0 is
// a request that gets no answer at all (blocked: a lost connection).
func (b *browser) expect(status int, path string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.expected = append(b.expected, expectation{status, path})
}

// stepTimeout bounds one step: generous, because CI machines are shared and
// a step that merely waits for the page costs nothing when it is quick.
const stepTimeout = 120 * time.Second

// run runs actions with a deadline; a failure keeps a screenshot.
func (b *browser) run(acts ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, acts...); err != nil {
		b.shot("failure")
		b.t.Fatalf("browser: %v", err)
	}
}

// clickFor clicks sel until want shows. A click that lands on a loading
// mask, or while a list reloads under it (a table redrawn after a save), is
// lost: it waits for the page to be idle first and tries again. Not for
// buttons that take money or commit work (a second click would be a second
// request): those use run with Click and WaitVisible.
func (b *browser) clickFor(sel, want string) {
	b.t.Helper()
	for try := 0; try < 3; try++ {
		if try > 0 && b.count(sel) == 0 {
			break // the click took after all and the page moved on: wait for want
		}
		b.idle()
		b.run(chromedp.Click(css(sel)))
		ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
		err := chromedp.Do(ctx, chromedp.WaitVisible(css(want)))
		cancel()
		if err == nil {
			b.idle() // a dialog that opened has finished opening
			return
		}
	}
	b.run(chromedp.WaitVisible(css(want)))
	b.idle()
}

// switchLang clicks the language switch sel until the page's language
// changes: a click during a dialog's closing fade lands on its overlay.
func (b *browser) switchLang(sel string) {
	b.t.Helper()
	lang := func() string { return runValue(b, chromedp.Evaluate[string](`document.documentElement.lang`)) }
	was := lang()
	for try := 0; try < 3; try++ {
		b.idle()
		b.run(chromedp.Click(css(sel)))
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			if lang() != was {
				return
			}
		}
	}
	b.shot("failure")
	b.t.Fatalf("%s: the language stayed %s", sel, was)
}

// idle waits until no Element Plus loading mask shows and no finite
// animation runs (a dialog opening or fading out moves what a click aims at;
// spinners loop forever and do not count).
func (b *browser) idle() {
	b.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		n := runValue(b, chromedp.Evaluate[int](`[...document.querySelectorAll('.el-loading-mask')].filter((e) => e.offsetParent !== null).length +
			document.getAnimations().filter((a) => a.playState === 'running' && a.effect && a.effect.getComputedTiming().iterations !== Infinity).length`))
		if n == 0 {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	b.t.Fatal("still loading after 30 s")
}

// shot saves a numbered full-window screenshot of the current step.
func (b *browser) shot(name string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
		return
	}
	b.n++
	f := filepath.Join(b.shots, fmt.Sprintf("%02d-%s.png", b.n, name))
	if err := os.WriteFile(f, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// waitText waits until the first element matching sel contains want.
func (b *browser) waitText(sel, want string) {
	b.t.Helper()
	deadline := time.Now().Add(stepTimeout)
	var got string
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf(`(document.querySelector(%q)||{}).innerText||''`, sel)))
		if err == nil {
			got = v
		}
		cancel()
		if err == nil && strings.Contains(got, want) {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	b.shot("failure")
	b.t.Fatalf("%s: want text %q, have %q", sel, want, got)
}

// choose picks an option of an Element Plus select and waits until
// the select shows it; a click during the dropdown's transition can miss,
// so it tries again.
func (b *browser) choose(sel, opt, want string) {
	b.t.Helper()
	for try := 0; ; try++ {
		b.run(chromedp.Click(css(sel)), chromedp.WaitVisible(css(opt)))
		time.Sleep(300 * time.Millisecond)
		b.run(chromedp.Click(css(opt)))
		deadline := time.Now().Add(5 * time.Second)
		for time.Now().Before(deadline) {
			if strings.Contains(runValue(b, chromedp.Evaluate[string](fmt.Sprintf(`(document.querySelector(%q)||{}).innerText||(document.querySelector(%q+' input')||{}).value||''`, sel, sel))), want) ||
				strings.Contains(runValue(b, chromedp.Evaluate[string](fmt.Sprintf(`Array.from(document.querySelectorAll(%q+' input, '+%q+' .el-select__selected-item')).map(e => e.value || e.innerText).join(' ')`, sel, sel))), want) {
				b.run(chromedp.WaitNotVisible(css(opt)))
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		if try == 2 {
			b.shot("failure")
			b.t.Fatalf("%s: could not choose %q", sel, want)
		}
	}
}

// value reads an input's current value.
func (b *browser) value(sel string) string {
	b.t.Helper()
	return runValue(b, chromedp.Value(chromedp.CSS(sel)))
}

// count counts the elements matching sel.
func (b *browser) count(sel string) int {
	b.t.Helper()
	return runValue(b, chromedp.Evaluate[int](fmt.Sprintf(`document.querySelectorAll(%q).length`, sel)))
}

// signIn fills the tenant sign-in form and waits for the landing page.
func (b *browser) signIn(user string) {
	b.t.Helper()
	b.run(
		chromedp.Navigate(server.base+"/login"),
		chromedp.WaitVisible(css(`input[name=login]`)),
		chromedp.SendKeys(css(`input[name=tenant]`), server.tenant),
		chromedp.SendKeys(css(`input[name=login]`), user),
		chromedp.SendKeys(css(`input[name=password]`), server.password[user]),
	)
	b.shot("sign-in-" + user)
	b.run(
		chromedp.Click(css(`[data-test=signin-submit]`)),
		chromedp.WaitVisible(css(`[data-test=welcome], [data-test=tabbar]`)),
	)
}

// block makes requests whose URL matches the pattern fail as if the network
// were down (none: the network is back).
func (b *browser) block(patterns ...string) {
	b.t.Helper()
	ps := []*network.BlockPattern{}
	for _, p := range patterns {
		ps = append(ps, &network.BlockPattern{URLPattern: p, Block: true})
	}
	b.run(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, network.SetBlockedURLs, network.SetBlockedURLsParams{URLPatterns: ps})
		return err
	}))
}

// location is the page's path.
func (b *browser) location() string {
	b.t.Helper()
	return runValue(b, chromedp.Evaluate[string](`location.pathname`))
}

// runValue runs one action that answers a value, with a deadline.
func runValue[T any](b *browser, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.shot("failure")
		b.t.Fatalf("browser: %v", err)
	}
	return v
}

// css is the selector type for CSS queries.
func css(sel string) chromedp.CSS { return chromedp.CSS(sel) }
