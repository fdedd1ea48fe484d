// Package deploytest runs the real server binary as it is deployed: behind
// a real nginx, configured as README "Deploy" says, on loopback ports. Its
// tests skip when nginx is not installed (.ci/run installs Debian's).
package deploytest
