// Package browsertest drives synack's pages in headless Chromium
// (chromedp): a scenario played to the end against its trace, stepping
// back, losing a segment in flight, the language switch, the embed inside
// another origin's iframe, an axe-core accessibility audit, a keyboard-only
// walk, and the README's screenshots.
//
// The package has no code of its own besides this file: everything else is
// in its tests, so chromedp is linked into the tests only. The tests skip
// when no Chromium is installed; SYNACK_CHROMIUM names the binary to use.
package browsertest

import (
	"os"
	"os/exec"

	"github.com/chromedp/chromedp"
)

// ChromiumPath finds a Chromium or Chrome binary: $SYNACK_CHROMIUM, else the
// first of the usual names on $PATH. It returns "" when there is none.
func ChromiumPath() string {
	if p := os.Getenv("SYNACK_CHROMIUM"); p != "" {
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
		return ""
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "headless-shell"} {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	return ""
}

// AllocatorOptions start the browser at path headless, offline and quiet,
// with a profile in userDataDir: without these flags Chromium reaches for
// the network (component updates, sync, field trials) on its own.
func AllocatorOptions(path, userDataDir string) []chromedp.ExecAllocatorOption {
	return append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.UserDataDir(userDataDir),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-domain-reliability", true),
		chromedp.Flag("no-pings", true),
		chromedp.Flag("lang", "en-US"),
		chromedp.WindowSize(1400, 1000),
	)
}
