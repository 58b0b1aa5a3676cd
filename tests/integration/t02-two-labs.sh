#!/bin/bash
# Two labs side by side: traffic in one creates SAs only there, taking one
# down leaves the other working.
. "$(dirname "$0")/lib.sh"
A=it-side-a
B=it-side-b

up $A
up $B

tunnel $A || fail "ping in $A"
assert_eq 1 "$(peer_count $A alice ike_sas)" "$A alice IKE_SAs"
assert_eq 0 "$(peer_count $B alice ike_sas)" "$B alice IKE_SAs after traffic in $A"
assert_eq 0 "$(peer_count $B bob ike_sas)" "$B bob IKE_SAs after traffic in $A"

"$IKELAB" down --name $A >/dev/null || fail "down $A"
assert_no_leftovers $A
tunnel $B bob || fail "ping in $B after $A went down"
assert_eq 1 "$(peer_count $B bob ike_sas)" "$B bob IKE_SAs"
assert_eq 1 "$(peer_count $B alice child_installed)" "$B alice CHILD_SAs"
"$IKELAB" down --name $B >/dev/null || fail "down $B"
assert_no_leftovers $B
note "no cross-talk between $A and $B"
