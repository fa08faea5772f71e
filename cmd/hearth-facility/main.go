// Command hearth-facility is the Hearth facility server and its administration tool.
//
//	hearth-facility init    --data DIR --name "Maple Grove" [--public-host HOST:PORT]
//	hearth-facility serve   --data DIR --addr HOST:PORT [--insecure-http] [--public-host NAME:PORT] [--cert F --key F]
//	                        [--blobs s3://BUCKET/PREFIX?endpoint=HOST:PORT&region=R]
//	hearth-facility people add --data DIR --name NAME --role resident|family|staff [--room R]
//	hearth-facility invite  --data DIR --person ID [--circle ID --relation R --can-invite] [--expires 168h]
//	hearth-facility invitations list|cancel --data DIR [--code K7QX]
//	hearth-facility members add --data DIR --circle ID --person ID [--relation R --can-invite]
//	hearth-facility devices list|revoke --data DIR [--id DEVICE]
//	hearth-facility photos copy --data DIR --blobs s3://BUCKET/PREFIX?endpoint=HOST:PORT
//	hearth-facility migrate --data DIR [--to postgres://USER@HOST/DB] [--blobs s3://BUCKET/PREFIX?endpoint=HOST:PORT]
//	hearth-facility backup  --data DIR --to FILE
//	hearth-facility restore --data DIR --from FILE   (on PostgreSQL, after pg_restore: --data DIR alone)
//	hearth-facility cert renew --data DIR
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

const usage = `hearth-facility: the Hearth facility server.

Commands:
  init     make a new facility: database, certificate, first staff invitation
  serve    serve the facility over HTTPS
  people   add people (people add ...)
  invite   make a one-time invitation for a person's new device
  invitations  list or cancel open invitations (invitations list|cancel ...)
  members  add someone who exists already to a circle (members add ...)
  devices  list or revoke paired devices (devices list|revoke ...)
  photos   copy the photos from the data directory into an S3 bucket (photos copy ...)
  migrate  move the home's records to PostgreSQL and/or its photos to S3 (stop the server first)
  backup   write a consistent backup while serving
  restore  put a backup back, or finish a PostgreSQL restore (stop the server first)
  cert     renew the self-signed certificate, same key (cert renew ...)
  version  print the version

Run "hearth-facility COMMAND -h" for a command's flags.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// run executes one command and returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmds := map[string]func(context.Context, []string, io.Writer, io.Writer) error{
		"init":        cmdInit,
		"serve":       cmdServe,
		"people":      cmdPeople,
		"invite":      cmdInvite,
		"devices":     cmdDevices,
		"invitations": cmdInvitations,
		"members":     cmdMembers,
		"photos":      cmdPhotos,
		"migrate":     cmdMigrate,
		"backup":      cmdBackup,
		"restore":     cmdRestore,
		"cert":        cmdCert,
		"version": func(_ context.Context, _ []string, w io.Writer, _ io.Writer) error {
			fmt.Fprintln(w, "hearth-facility", version)
			return nil
		},
	}
	cmd, ok := cmds[args[0]]
	if !ok {
		if args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
			fmt.Fprint(stdout, usage)
			return 0
		}
		fmt.Fprintf(stderr, "hearth-facility: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	if err := cmd(ctx, args[1:], stdout, stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		if errors.Is(err, errUsage) {
			return 2
		}
		fmt.Fprintf(stderr, "hearth-facility %s: %v\n", args[0], err)
		return 1
	}
	return 0
}

// errUsage: the flag package has already explained what is wrong.
var errUsage = errors.New("usage")

// newFlags makes a flag set that reports errors to stderr and returns errUsage.
func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("hearth-facility "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "unexpected argument %q\n", fs.Arg(0))
		return errUsage
	}
	return nil
}

func required(fs *flag.FlagSet, names ...string) error {
	for _, n := range names {
		if f := fs.Lookup(n); f != nil && f.Value.String() == "" {
			fmt.Fprintf(fs.Output(), "--%s is required\n", n)
			fs.Usage()
			return errUsage
		}
	}
	return nil
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
