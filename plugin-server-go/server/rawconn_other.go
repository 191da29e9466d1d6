//go:build !linux

package server

import "net"

// wrapListener: raw socket I/O (rawconn_linux.go) is Linux only.
func wrapListener(l net.Listener) net.Listener { return l }
