// Package static holds the files the browser loads (style sheets, scripts,
// icons), embedded in the binary from files/ and served under
// content-hashed names.
//
// Unit tests of the scripts and their fixtures live in jstest/, outside
// files/, so that they are neither embedded nor served.
//
// "app.css" is served as /static/app.<hash>.css, where <hash> is the start
// of the SHA-256 of its content, with a one-year immutable Cache-Control: a
// new build with new content has a new URL. Pages link to these names
// through Assets.URL. The plain name (/static/app.css) is served too, with
// "no-cache" and an ETag, because ES modules import each other by plain
// relative names.
package static

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
)

// Prefix is the URL path the files are served under.
const Prefix = "/static/"

const (
	hashLen         = 12 // hex digits of the SHA-256 in a hashed name
	immutableCache  = "public, max-age=31536000, immutable"
	revalidateCache = "no-cache"
)

//go:embed files
var embedded embed.FS

// asset is one file and what it is served with.
type asset struct {
	content []byte
	etag    string
	cache   string
}

// Assets serves the embedded files and names their URLs.
type Assets struct {
	byPath map[string]asset  // URL path below Prefix: hashed and plain names
	urls   map[string]string // plain name → hashed URL
}

// New reads and hashes the embedded files.
func New() (*Assets, error) {
	files, err := fs.Sub(embedded, "files")
	if err != nil {
		return nil, fmt.Errorf("static files: %w", err)
	}
	return newAssets(files)
}

func newAssets(files fs.FS) (*Assets, error) {
	a := &Assets{byPath: map[string]asset{}, urls: map[string]string{}}
	err := fs.WalkDir(files, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		content, err := fs.ReadFile(files, name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(content)
		hash := hex.EncodeToString(sum[:])[:hashLen]
		hashed := hashedName(name, hash)
		etag := `"` + hash + `"`
		a.byPath[hashed] = asset{content: content, etag: etag, cache: immutableCache}
		a.byPath[name] = asset{content: content, etag: etag, cache: revalidateCache}
		a.urls[name] = Prefix + hashed
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("static files: %w", err)
	}
	return a, nil
}

// hashedName puts the hash before the extension: js/app.js → js/app.<hash>.js.
func hashedName(name, hash string) string {
	ext := path.Ext(name)
	return strings.TrimSuffix(name, ext) + "." + hash + ext
}

// URL returns the content-hashed URL of the file name (a path below files/,
// such as "app.css"). It panics when there is no such file: names are
// constants in templates, and a wrong one is a bug for the tests to catch.
func (a *Assets) URL(name string) string {
	u, ok := a.urls[name]
	if !ok {
		panic(fmt.Sprintf("static: no file %q", name))
	}
	return u
}

// ServeHTTP serves the file named by the request path below Prefix.
func (a *Assets) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f, ok := a.byPath[strings.TrimPrefix(r.URL.Path, Prefix)]
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Cache-Control", f.cache)
	w.Header().Set("ETag", f.etag)
	// A zero modification time leaves Last-Modified out; the ETag does its job.
	http.ServeContent(w, r, path.Base(r.URL.Path), time.Time{}, bytes.NewReader(f.content))
}
