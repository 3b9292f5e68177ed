package stack

import "syscall"

// procAttr puts a child in its own process group (Stop signals the group)
// and has the kernel stop it should the stack's process die without Stop.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
}
