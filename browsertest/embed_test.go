package browsertest

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// courseServer serves, from an origin of its own, a page that frames the
// address src gives for that origin, and records every message it receives
// in window.messages: its origin, whether it came from the frame, and its
// data.
func courseServer(t *testing.T, src func(origin string) string) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	origin := "http://" + srv.Listener.Addr().String()
	frame := src(origin)
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>A course page</title><link rel="icon" href="data:,"></head>
<body>
<h1>TCP, lesson 3</h1>
<script>
window.messages = [];
addEventListener('message', (e) => {
	const frame = document.getElementById('synack');
	window.messages.push({origin: e.origin, fromFrame: e.source === frame.contentWindow, data: e.data});
	if (e.data && e.data.type === 'synack:height') frame.style.height = e.data.height + 'px';
});
</script>
<iframe id="synack" src="%s" title="synack" width="900" height="560" style="border: 0"></iframe>
</body></html>`, html.EscapeString(frame))
	})
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

// frameEval evaluates expr in the document of the page's first child
// frame (in an isolated world: the frame is of another origin, which the
// page's own scripts may not look into) and decodes its value into T.
func frameEval[T any](p *page, expr string) T {
	p.t.Helper()
	var v T
	err := chromedp.Do(p.ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		tree, err := cdp.Call(ctx, tg, cdppage.GetFrameTree, cdp.Empty{})
		if err != nil {
			return err
		}
		if len(tree.FrameTree.ChildFrames) == 0 {
			return fmt.Errorf("the page has no frame")
		}
		world, err := cdp.Call(ctx, tg, cdppage.CreateIsolatedWorld, cdppage.CreateIsolatedWorldParams{
			FrameID: tree.FrameTree.ChildFrames[0].Frame.ID, WorldName: "browsertest",
		})
		if err != nil {
			return err
		}
		res, err := cdp.Call(ctx, tg, runtime.Evaluate, runtime.EvaluateParams{
			Expression: expr, ContextID: world.ExecutionContextID,
			ReturnByValue: new(true), AwaitPromise: new(true),
		})
		if err != nil {
			return err
		}
		if res.ExceptionDetails != nil {
			return fmt.Errorf("%s", res.ExceptionDetails.Text)
		}
		return json.Unmarshal([]byte(res.Result.Value), &v)
	}))
	if err != nil {
		p.t.Fatalf("evaluating %s in the frame: %v", short(expr), err)
	}
	return v
}

// message is what the course page recorded of one message.
type message struct {
	Origin    string `json:"origin"`
	FromFrame bool   `json:"fromFrame"`
	Data      struct {
		Type   string `json:"type"`
		Height *int   `json:"height"`
		Step   int    `json:"step"`
		Total  *int   `json:"total"`
		Done   bool   `json:"done"`
	} `json:"data"`
}

// TestEmbed frames /embed/{id} in a page of another origin (another port):
// the frame loads (frame-ancestors lets it), plays the scenario to its end,
// and posts its height and progress to the course page, from its own
// origin. The app itself (/) refuses to be framed there.
func TestEmbed(t *testing.T) {
	const id = "client-closes-first"
	tr := getTrace(t, id)
	appOrigin := app.URL // http://127.0.0.1:PORT, an origin

	for _, withParent := range []bool{true, false} {
		name := "parent parameter"
		if !withParent {
			name = "referrer"
		}
		t.Run(name, func(t *testing.T) {
			p := newPage(t)
			var src string
			course := courseServer(t, func(origin string) string {
				src = app.URL + "/embed/" + id + "?autoplay=1&speed=max"
				if withParent {
					src += "&parent=" + url.QueryEscape(origin)
				}
				return src
			})
			p.do(chromedp.Navigate(course.URL))
			p.waitFor(`window.messages.some((m) => m.data?.type === 'synack:progress' && m.data.done)`, 30*time.Second,
				"the embed to post that it is done")
			p.waitIdle()

			frameURL := frameEval[string](p, `location.href`)
			if frameURL != src {
				t.Fatalf("the frame shows %q, want %q", frameURL, src)
			}
			d := frameEval[drawn](p, collectJS)
			var segs int
			for _, e := range tr.Events {
				if e.Kind == "segment" {
					segs++
				}
			}
			if len(d.Segments) != segs {
				t.Errorf("the embed drew %d segments, the trace has %d", len(d.Segments), segs)
			}

			msgs := eval[[]message](p, `window.messages`)
			var heights, progress []message
			for _, m := range msgs {
				if m.Origin != appOrigin || !m.FromFrame {
					t.Errorf("message %+v from origin %q (from the frame: %v), want %q", m.Data, m.Origin, m.FromFrame, appOrigin)
				}
				switch m.Data.Type {
				case "synack:height":
					heights = append(heights, m)
				case "synack:progress":
					progress = append(progress, m)
				default:
					// Other synack:* messages (step, finished, …) are the
					// embed's business; their origin is checked above.
					if !strings.HasPrefix(m.Data.Type, "synack:") {
						t.Errorf("message of unknown type %q", m.Data.Type)
					}
				}
			}
			if len(heights) == 0 {
				t.Error("no synack:height message")
			} else {
				last := heights[len(heights)-1].Data.Height
				want := frameEval[int](p, `Math.ceil(document.documentElement.getBoundingClientRect().height)`)
				if last == nil || *last != want || want <= 0 {
					t.Errorf("last height posted %v, the view is %d px high", last, want)
				}
			}
			for i := 1; i < len(progress); i++ {
				if progress[i].Data.Step < progress[i-1].Data.Step {
					t.Errorf("progress went back from %d to %d while playing", progress[i-1].Data.Step, progress[i].Data.Step)
				}
			}
			if len(progress) == 0 {
				t.Fatal("no synack:progress message")
			}
			end := progress[len(progress)-1].Data
			if !end.Done || end.Step != len(tr.Events) || end.Total == nil || *end.Total != len(tr.Events) {
				t.Errorf("last progress %+v (total %v), want step = total = %d, done", end, deref(end.Total), len(tr.Events))
			}
		})
	}

	t.Run("app refuses", func(t *testing.T) {
		p := newPage(t, allowConsoleError(`violates the following Content Security Policy directive: "frame-ancestors 'self'"`))
		course := courseServer(t, func(string) string { return app.URL + "/" })
		p.do(chromedp.Navigate(course.URL))
		p.waitFor(`document.readyState === 'complete'`, 10*time.Second, "the course page to load")
		tree, err := chromedp.Call(p.ctx, cdppage.GetFrameTree, cdp.Empty{})
		if err != nil {
			t.Fatal(err)
		}
		if len(tree.FrameTree.ChildFrames) != 1 {
			t.Fatalf("the course page has %d frames", len(tree.FrameTree.ChildFrames))
		}
		f := tree.FrameTree.ChildFrames[0].Frame
		if f.SecurityOrigin == appOrigin || f.UnreachableURL != app.URL+"/" {
			t.Errorf("the app was framed by another origin: the frame shows %q (origin %q, unreachable %q)", f.URL, f.SecurityOrigin, f.UnreachableURL)
		}
		if !strings.Contains(p.consoleText(), "frame-ancestors 'self'") {
			t.Errorf("the browser did not report the CSP frame-ancestors block; console:\n%s", p.consoleText())
		}
		if n := eval[int](p, `window.messages.length`); n != 0 {
			t.Errorf("the course page got %d messages from the blocked app", n)
		}
	})
}

func deref(p *int) any {
	if p == nil {
		return nil
	}
	return *p
}
