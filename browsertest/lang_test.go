package browsertest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// catalogue is one language's strings, from i18n/.
func catalogue(t *testing.T, lang string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "i18n", lang+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]string
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("i18n/%s.json: %v", lang, err)
	}
	return m
}

// uiText is the text of the page's fixed labels that the language switch
// changes: the tagline, the Play button, the diagram's lifeline names and
// the explanation panel's heading.
type uiText struct {
	Lang     string `json:"lang"`
	Tagline  string `json:"tagline"`
	Play     string `json:"play"`
	Client   string `json:"client"`
	Explain  string `json:"explain"`
	Progress string `json:"progress"`
}

func (p *page) uiText() uiText {
	p.t.Helper()
	return eval[uiText](p, `({
		lang: document.documentElement.lang,
		tagline: document.querySelector('.tagline').textContent.trim(),
		play: document.querySelector('#play .label').textContent.trim(),
		client: document.querySelector('#diagram .head-name--client')?.textContent ?? '',
		explain: document.getElementById('explain-h').textContent.trim(),
		progress: document.getElementById('progress').textContent,
	})`)
}

// wantUI is what uiText gives in a language.
func wantUI(t *testing.T, lang string) uiText {
	c := catalogue(t, lang)
	return uiText{Lang: lang, Tagline: c["app.tagline"], Play: c["ctl.play"], Client: c["ladder.endpoint.client"], Explain: c["panel.explain"]}
}

func checkUI(t *testing.T, p *page, lang, how string) {
	t.Helper()
	got := p.uiText()
	want := wantUI(t, lang)
	want.Progress = got.Progress
	if got != want {
		t.Errorf("%s: the page shows\n%+v\nwant\n%+v", how, got, want)
	}
	if lang == "zh" && !strings.ContainsFunc(got.Tagline+got.Play, func(r rune) bool { return r >= 0x4e00 && r <= 0x9fff }) {
		t.Errorf("%s: no Chinese characters in %q", how, got.Tagline+got.Play)
	}
}

// TestLanguage checks the page's language: ?lang=zh, Accept-Language
// without ?lang, and the on-page switch, which changes <html lang> and the
// text in place without loading the page again.
func TestLanguage(t *testing.T) {
	t.Run("query", func(t *testing.T) {
		p := newPage(t)
		p.open("/?lang=zh")
		checkUI(t, p, "zh", "?lang=zh")
	})
	t.Run("Accept-Language", func(t *testing.T) {
		p := newPage(t, withAcceptLanguage("zh-CN,zh;q=0.9,en;q=0.5"))
		p.open("/")
		checkUI(t, p, "zh", "Accept-Language zh-CN")
		p.open("/?lang=en")
		checkUI(t, p, "en", "Accept-Language zh-CN with ?lang=en")
	})
	t.Run("switch", func(t *testing.T) {
		p := newPage(t)
		p.open("/?step=event&scenario=client-closes-first")
		p.stepTo(3)
		checkUI(t, p, "en", "/")
		// A mark that a reload would wipe out.
		eval[chromedp.Void](p, `window.synackTestMark = 1`)
		for _, lang := range []string{"zh", "en"} {
			p.do(chromedp.Click(chromedp.CSS(`nav.lang a[hreflang="` + lang + `"]`)))
			p.waitFor(`document.documentElement.lang === '`+lang+`'`, 5*time.Second, "<html lang> to follow the switch")
			p.waitIdle()
			checkUI(t, p, lang, "after the switch to "+lang)
			if !eval[bool](p, `window.synackTestMark === 1`) {
				t.Fatalf("switching to %s loaded the page again", lang)
			}
			if n := p.progressN(); n != 3 {
				t.Errorf("after the switch to %s the page shows %d events, want the 3 it had", lang, n)
			}
			if cur := eval[string](p, `document.querySelector('nav.lang a[aria-current="true"]')?.hreflang ?? ''`); cur != lang {
				t.Errorf("after the switch to %s the switch marks %q as current", lang, cur)
			}
			if q := eval[string](p, `new URL(location.href).searchParams.get('lang') ?? ''`); q != lang {
				t.Errorf("after the switch to %s the address says lang=%q", lang, q)
			}
		}
	})
}
