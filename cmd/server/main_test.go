package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/synack/synack/web"
)

// TestServeAndShutdown serves on a random port, checks /healthz directly and
// through -healthcheck, then cancels the context and expects a clean stop.
func TestServeAndShutdown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	served := make(chan error, 1)
	go func() { served <- serve(ctx, ln, web.Config{}, slog.New(slog.DiscardHandler)) }()

	resp, err := http.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(body) != "ok\n" {
		t.Fatalf("/healthz: %s %q", resp.Status, body)
	}
	if err := run(ctx, []string{"-healthcheck", "-addr", addr}, io.Discard); err != nil {
		t.Errorf("-healthcheck: %v", err)
	}

	cancel()
	select {
	case err := <-served:
		if err != nil {
			t.Errorf("serve: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("serve did not return after cancel")
	}
	if err := run(context.Background(), []string{"-healthcheck", "-addr", addr}, io.Discard); err == nil {
		t.Error("-healthcheck succeeded after shutdown")
	}
}

// TestRunStops starts the whole program on a random port and stops it.
func TestRunStops(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	var logs strings.Builder
	if err := run(ctx, []string{"-addr", "127.0.0.1:0", "-log-level", "debug"}, &logs); err != nil {
		t.Fatalf("run: %v", err)
	}
	for _, want := range []string{"msg=serving", "msg=\"shutting down\""} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("logs lack %s:\n%s", want, logs.String())
		}
	}
}

func TestRunErrors(t *testing.T) {
	for _, args := range [][]string{
		{"-no-such-flag"},
		{"-log-level", "loud"},
		{"extra"},
		{"-addr", "not an address"},
		{"-healthcheck", "-addr", "nonsense"},
	} {
		if err := run(context.Background(), args, io.Discard); err == nil {
			t.Errorf("run %q succeeded", args)
		}
	}
}
