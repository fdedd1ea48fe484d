package templates

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/synack/synack/i18n"
)

func TestIndexEscapesAndLinks(t *testing.T) {
	page := IndexPage{
		T:         i18n.For(i18n.ZH),
		Assets:    Assets{Stylesheet: "/static/app.0123456789ab.css", Icon: "/static/favicon.0123456789ab.svg"},
		Scenarios: []Scenario{{ID: "syn-lost", Title: `<script>alert("x")</script>`, Summary: "a & b"}},
	}
	var buf bytes.Buffer
	if err := Index(page).Render(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	html := buf.String()
	for _, want := range []string{
		`<html lang="zh">`,
		`&lt;script&gt;`,
		`a &amp; b`,
		`href="/static/app.0123456789ab.css"`,
		`href="/api/scenarios/syn-lost/trace?format=mermaid&amp;lang=zh"`,
		`href="/api/scenarios/syn-lost/trace?format=pcap" download`,
		`aria-current="true">中文</a>`,
	} {
		if !strings.Contains(html, want) {
			t.Errorf("page lacks %s:\n%s", want, html)
		}
	}
	if strings.Contains(html, "<script>") {
		t.Error("title not escaped")
	}
}

func TestIndexEmpty(t *testing.T) {
	var buf bytes.Buffer
	if err := Index(IndexPage{T: i18n.For(i18n.EN)}).Render(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), i18n.For(i18n.EN).T("index.empty")) {
		t.Errorf("empty page lacks its message:\n%s", buf.String())
	}
}
