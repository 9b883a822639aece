#!/bin/sh
# Bans unsafe or imprecise calls in src/ and floating point in money code.
set -u
fail=0
banned='\b(strcpy|strcat|sprintf|vsprintf|atoi|atol|strtok|rand|srand|gets)\s*\('
if grep -rnE "$banned" src --include='*.c' --include='*.h'; then
	echo "check-style: banned call above (use snprintf, strtoll, randombytes_*, ...)"
	fail=1
fi
money_files=$(ls src/core/money.* src/core/invoice_calc.* src/core/proration.* src/billing/*.c 2>/dev/null)
if [ -n "$money_files" ] && grep -nE '\b(float|double)\b' $money_files; then
	echo "check-style: floating point in money code above"
	fail=1
fi
# parameter specs: every handler declares a static spec (PS_*, params_parse_into)
# so documentation can be generated from it; the pointer form (PARAM_STRING,
# PARAMS_PAGE, params_parse) is left for tests/http and tests/fuzz only
pointer_form='\b(params_parse\s*\(|PARAMS?_[A-Z_]+\b)'
if grep -rnE "$pointer_form" src --include='*.c' --include='*.h' | grep -vE '^src/http/params\.[ch]:' |
	sed -E 's/\bPARAM_(AT|NOWHERE)\b/PS_/g' | grep -E "$pointer_form"; then
	echo "check-style: pointer-form parameter spec above: use a static spec (PS_*, params_parse_into)"
	fail=1
fi
# secrets are compared in constant time (sodium_memcmp, acct_secret_equal): no
# strcmp/memcmp family call on a line that names a token, secret, CSRF token,
# password or hash in the parts that handle them; a line comparing something
# that only looks like one says "not a secret"
ct_dirs="src/http src/billing src/api src/core src/sys src/store"
ct_calls='\b(strcmp|strncmp|memcmp|bcmp|strcasecmp|strncasecmp)\s*\('
if grep -rnE "$ct_calls" $ct_dirs --include='*.c' --include='*.h' | grep -E '^[^:]+:[0-9]+:.*(token|secret|csrf|password|hash)' |
	grep -v 'not a secret'; then
	echo "check-style: a secret compared with strcmp/memcmp above: use sodium_memcmp or acct_secret_equal"
	fail=1
fi
# formatting: .clang-format at the root; `make format` applies it
if command -v clang-format >/dev/null 2>&1; then
	files=$(git ls-files 'src/*.c' 'src/*.h' 'tests/*.c' 'tests/*.h' 2>/dev/null)
	if [ -n "$files" ] && ! clang-format --dry-run --Werror $files >/dev/null 2>&1; then
		clang-format --dry-run $files 2>&1 | grep 'warning:' | head -5
		echo "check-style: files above are not clang-formatted: run make format"
		fail=1
	fi
else
	echo "check-style: clang-format is not installed (scripts/deps.sh --test installs it)"
	fail=1
fi
[ $fail -eq 0 ] && echo "check-style: ok"
exit $fail
