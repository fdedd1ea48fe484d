package static

import (
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
)

func TestHashedNames(t *testing.T) {
	a, err := newAssets(fstest.MapFS{
		"app.css":      {Data: []byte("body{}")},
		"js/layout.js": {Data: []byte("export {}")},
	})
	if err != nil {
		t.Fatal(err)
	}
	css, js := a.URL("app.css"), a.URL("js/layout.js")
	if !regexp.MustCompile(`^/static/app\.[0-9a-f]{12}\.css$`).MatchString(css) {
		t.Errorf("URL(app.css) = %q", css)
	}
	if !regexp.MustCompile(`^/static/js/layout\.[0-9a-f]{12}\.js$`).MatchString(js) {
		t.Errorf("URL(js/layout.js) = %q", js)
	}
	b, err := newAssets(fstest.MapFS{"app.css": {Data: []byte("body{color:red}")}})
	if err != nil {
		t.Fatal(err)
	}
	if b.URL("app.css") == css {
		t.Error("new content kept the old URL")
	}
}

func TestServe(t *testing.T) {
	a, err := New()
	if err != nil {
		t.Fatal(err)
	}
	hashed := a.URL("app.css")
	tests := []struct {
		path, cache string
		status      int
	}{
		{hashed, "public, max-age=31536000, immutable", 200},
		{Prefix + "app.css", "no-cache", 200},
		{Prefix + "nothing.css", "", 404},
		{strings.Replace(hashed, ".css", "0.css", 1), "", 404},
	}
	for _, tt := range tests {
		w := httptest.NewRecorder()
		a.ServeHTTP(w, httptest.NewRequest(http.MethodGet, tt.path, nil))
		if w.Code != tt.status || w.Header().Get("Cache-Control") != tt.cache {
			t.Errorf("%s: status %d, Cache-Control %q; want %d, %q", tt.path, w.Code, w.Header().Get("Cache-Control"), tt.status, tt.cache)
		}
		if tt.status == 200 && !strings.HasPrefix(w.Header().Get("Content-Type"), "text/css") {
			t.Errorf("%s: Content-Type %q", tt.path, w.Header().Get("Content-Type"))
		}
	}

	r := httptest.NewRequest(http.MethodGet, hashed, nil)
	first := httptest.NewRecorder()
	a.ServeHTTP(first, r)
	r.Header.Set("If-None-Match", first.Header().Get("ETag"))
	again := httptest.NewRecorder()
	a.ServeHTTP(again, r)
	if again.Code != http.StatusNotModified {
		t.Errorf("revalidation with the ETag: status %d, want 304", again.Code)
	}
}

func TestURLPanicsOnUnknownFile(t *testing.T) {
	a, err := New()
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if recover() == nil {
			t.Error("URL of a missing file did not panic")
		}
	}()
	a.URL("missing.css")
}

// TestNoTestFilesEmbedded keeps the scripts' unit tests and fixtures out of
// the binary: they live in jstest/, not in files/.
func TestNoTestFilesEmbedded(t *testing.T) {
	err := fs.WalkDir(embedded, "files", func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if strings.HasSuffix(name, ".test.js") || d.IsDir() && d.Name() == "testdata" {
			t.Errorf("%s is embedded: tests and fixtures belong in static/jstest", name)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
