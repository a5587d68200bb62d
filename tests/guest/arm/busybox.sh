# A script for Debian's busybox-static (armhf), run by its own shell:
# `busybox sh busybox.sh` in an empty directory, under Loom and under
# qemu-arm, by tests/cli/test_busybox.sh, which compares the outputs.
# PATH leads nowhere: the shell runs only its builtins and the applets it
# runs without exec'ing busybox again (NOFORK and NOEXEC applets, in a
# forked child). qemu-arm cannot exec an ARM program on a machine without
# binfmt_misc, and with a PATH the shell would find the host's programs;
# the applets that need an exec (sed, tar, gzip, cat, wc, ...) are run
# as separate `busybox APPLET` commands by the test instead.
# Output is deterministic: no dates, owners or absolute paths.
PATH=/nonexistent

echo "== sh: loops, pipes, functions, expansions"
i=0
while [ $i -lt 5 ]; do
    i=$((i + 1))
    printf '%d ' "$i"
done
echo
for w in alpha beta gamma; do echo "word $w"; done | while read -r a b; do echo "$b:$a"; done
fact() {
    if [ "$1" -le 1 ]; then echo 1; else echo $(($1 * $(fact $(($1 - 1))))); fi
}
echo "10! = $(fact 10)"
s=path/to/file.tar.gz
echo "${s##*/} ${s%%.*} ${s#*/} ${#s} ${s%.gz}"
case $s in
*.gz) echo "case: gz" ;;
*) echo "case: other" ;;
esac
{ echo one; echo two; echo three; } | awk '{ print NR ": " $0 }'
(exit 7)
echo "subshell status $?"
false || echo "or-list ran"
true && echo "and-list ran"
set -- a "b c" d
echo "$# args, second '$2'"
while read -r line; do echo "heredoc: $line"; done <<EOF
x $((6 * 7)) $s
EOF
n=0
for f in 1 2 3 4 5 6 7 8 9 10; do
    [ $((f % 3)) -eq 0 ] && continue
    [ "$f" -gt 8 ] && break
    n=$((n + f))
done
echo "continue/break sum $n"
echo "pipeline status: $(false | true; echo $?)"
x=$(printf '%s-' a b c)
echo "command substitution: $x"
readonly_thing=fixed
echo "${unset_var:-default} ${readonly_thing:+alternate}"

echo "== data"
awk 'BEGIN { for (i = 0; i < 3000; i++) printf "%05d line %d %s\n", (i * 7919) % 3000, i, (i % 3 ? "odd" : "even") }' >data.txt
awk 'END { print NR " lines" }' data.txt
md5sum data.txt
sha1sum data.txt
sha256sum data.txt
sha512sum data.txt
sort data.txt | md5sum
sort -r data.txt | head -n 3
sort -k3,3n data.txt | awk 'NR > 2997'
sort -k4,4 -k1,1n data.txt | head -n 3
sort -u -k4,4 data.txt | awk '{ print $4 }'
seq 1 100 | sort -rn | head -n 2
seq 5 -2 -5 | sort -n | paste -s -d, -
awk '$4 == "even" { n++; s += $3 } END { print n, s }' data.txt
awk '{ c[$4]++ } END { for (k in c) print k, c[k] }' data.txt | sort
awk 'BEGIN { printf "%.3f %d %x %s %s|%-4s|\n", 22 / 7, 1000000 * 3 + 7, 255, toupper("abc"), substr("busybox", 2, 3), "ab" }'
awk 'function fib(n) { return n < 2 ? n : fib(n - 1) + fib(n - 2) } BEGIN { print "fib(20) =", fib(20) }'
awk 'BEGIN { s = "a,b,,c"; n = split(s, p, ","); t = "hello world"; gsub(/o/, "0", t); print n, p[4], t, index(t, "w"), match("xxabc", /ab/), RSTART, RLENGTH }'
awk -F: 'BEGIN { OFS = "|" } { $1 = $1; print }' <<EOF
root:x:0:0
user:y:1000:1000
EOF
head -n 4 data.txt | cut -d' ' -f1,3
cut -c1-5 data.txt | sort -n | head -n 2
fold -w 7 data.txt | head -n 3
head -n 3 data.txt | tac
expr 6 \* 7
expr length busybox
expr substr "hello world" 7 5
dd if=data.txt bs=100 skip=2 count=3 2>/dev/null | md5sum
head -c 48 data.txt | hexdump -C
head -c 16 data.txt | xxd
crc32 data.txt

echo "== files"
mkdir -p tree/a/b tree/c
seq 1 50 >tree/a/b/numbers
head -n 100 data.txt >tree/c/head.txt
echo one >tree/a/one
ln -s ../c/head.txt tree/a/link
touch tree/empty
find tree | sort
find tree -type f | sort
find tree -name '*.txt'
find tree -type l
find tree -empty
find tree -type f -size +1 | sort
find tree -maxdepth 1 -type d | sort
ls tree/a
ls -1 tree | sort -r
stat -c '%s %F %n' tree/a/b/numbers tree/a/link
stat -c '%F %n' tree/a
readlink tree/a/link
realpath tree/a/link | awk -F/ '{ print $(NF - 2) "/" $(NF - 1) "/" $NF }'
basename tree/a/b/numbers
dirname tree/a/b/numbers
cp -r tree copy
md5sum copy/a/b/numbers copy/c/head.txt
mv copy/a/one copy/a/two
ls copy/a
rm -r copy
[ -e copy ] || echo "copy removed"
chmod 640 tree/a/one
stat -c '%a %n' tree/a/one
mkdir tmpdir && rmdir tmpdir && echo "mkdir/rmdir ok"
touch -r tree/a/one tree/empty && [ ! tree/empty -nt tree/a/one ] && echo "touch -r ok"
echo "done"
