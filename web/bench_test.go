package web

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"
)

// BenchmarkRunBuiltin posts a built-in scenario to /api/run through the
// whole handler, middleware included, and reports the median and 99th
// percentile latency besides the mean.
func BenchmarkRunBuiltin(b *testing.B) {
	h := newTestServer(b, Config{}).Handler()
	doc := builtinDoc(b, exampleID)
	benchmarkLatency(b, func() *httptest.ResponseRecorder { return post(b, h, "/api/run", doc) })
}

// BenchmarkTraceCached asks for a built-in scenario's trace, which after the
// first request comes from the cache.
func BenchmarkTraceCached(b *testing.B) {
	h := newTestServer(b, Config{}).Handler()
	target := "/api/scenarios/" + exampleID + "/trace"
	benchmarkLatency(b, func() *httptest.ResponseRecorder { return get(b, h, target) })
}

func benchmarkLatency(b *testing.B, do func() *httptest.ResponseRecorder) {
	if w := do(); w.Code != http.StatusOK {
		b.Fatalf("status %d: %s", w.Code, w.Body)
	}
	b.ReportAllocs()
	var latencies []time.Duration
	for b.Loop() {
		start := time.Now()
		w := do()
		latencies = append(latencies, time.Since(start))
		if w.Code != http.StatusOK {
			b.Fatalf("status %d", w.Code)
		}
	}
	slices.Sort(latencies)
	b.ReportMetric(float64(latencies[len(latencies)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(latencies[len(latencies)*99/100].Microseconds()), "p99-µs")
}
