//go:build !linux

package stack

import "syscall"

// procAttr puts a child in its own process group (Stop signals the group).
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
