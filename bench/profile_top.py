"""Summarise a py-spy raw profile (`py-spy record --gil --format raw`): top frames by own and inclusive samples.

    python3 bench/profile_top.py PROFILE.raw [TOP_SELF] [TOP_INCLUSIVE]

bench/README.md ("Profiling") says how the profiles in bench/profiles/ were recorded.
"""
import sys, collections, re
inc = collections.Counter(); selfc = collections.Counter(); total = 0
for line in open(sys.argv[1]):
    line=line.rstrip()
    if not line: continue
    stack, _, n = line.rpartition(' ')
    n = int(n)
    frames = stack.split(';')
    total += n
    seen=set()
    for f in frames:
        name = re.sub(r' \(/.*?/site-packages/', ' (', f)
        name = re.sub(r' \(/.*?/src/scimkeeper/', ' (scimkeeper/', name)
        if name not in seen:
            inc[name]+=n; seen.add(name)
    selfc[re.sub(r' \(/.*?/site-packages/', ' (', frames[-1])]+=n
print('total', total)
print('--- self')
for k,v in selfc.most_common(int(sys.argv[2]) if len(sys.argv)>2 else 30): print(f'{100*v/total:5.1f}% {k}')
print('--- inclusive')
for k,v in inc.most_common(int(sys.argv[3]) if len(sys.argv)>3 else 60): print(f'{100*v/total:5.1f}% {k}')
