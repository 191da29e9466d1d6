package pdk_test

import (
	"context"
	"errors"
	"testing"

	"github.com/gantry-gateway/gantry/plugin-server-go"
	"github.com/gantry-gateway/gantry/plugin-server-go/bridge/bridgetest"
	"github.com/gantry-gateway/gantry/plugin-server-go/internal/pdktest"
)

func TestPDK_context(t *testing.T) {
	k, ev := pdktest.New(pdktest.Request(), nil)
	ctx, cancel := context.WithCancel(context.Background())
	ev.Reset(ctx, pdktest.Request(), nil)
	if k.Context().Err() != nil {
		t.Fatal("cancelled early")
	}
	cancel()
	if k.Context().Err() == nil {
		t.Error("Context not cancelled")
	}
}

func TestInit_overConn(t *testing.T) {
	k := pdk.Init(bridgetest.Mock(t, nil))
	if _, err := k.Request.GetHeader("x"); err == nil {
		t.Error("typed method over a raw conn should fail")
	}
	if errors.Is(pdk.ErrExited, pdk.ErrCancelled) {
		t.Error("sentinels")
	}
}
