package server

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// quietPair: a client conn and the server side accepted through quietListener.
func quietPair(t *testing.T) (client net.Conn, server net.Conn) {
	t.Helper()
	l, err := net.Listen("unix", filepath.Join(t.TempDir(), "q.sock"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ql := wrapListener(l)
	client, err = net.Dial("unix", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server, err = ql.Accept()
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := server.(*quietConn); !ok {
		t.Fatalf("accepted %T, want *quietConn", server)
	}
	t.Cleanup(func() { client.Close(); server.Close() })
	return client, server
}

func TestQuietConn_readWriteEOFDeadline(t *testing.T) {
	client, server := quietPair(t)

	// A write much larger than the socket buffer: Write waits for writability and finishes.
	big := bytes.Repeat([]byte("0123456789abcdef"), 1<<18) // 4 MiB
	got := make(chan []byte)
	go func() { b, _ := io.ReadAll(io.LimitReader(client, int64(len(big)))); got <- b }()
	if n, err := server.Write(big); err != nil || n != len(big) {
		t.Fatalf("write: %d, %v", n, err)
	}
	if b := <-got; !bytes.Equal(b, big) {
		t.Fatal("data differs")
	}

	// Read waits for data.
	go func() { time.Sleep(10 * time.Millisecond); client.Write([]byte("hello")) }()
	buf := make([]byte, 16)
	if n, err := server.Read(buf); err != nil || string(buf[:n]) != "hello" {
		t.Fatalf("read: %q, %v", buf[:n], err)
	}

	// Deadlines still apply.
	server.SetReadDeadline(time.Now().Add(10 * time.Millisecond))
	if _, err := server.Read(buf); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read past deadline: %v", err)
	}
	server.SetReadDeadline(time.Time{})

	// The peer's close reads as EOF.
	client.Close()
	if _, err := server.Read(buf); err != io.EOF {
		t.Fatalf("read after peer close: %v", err)
	}
}
