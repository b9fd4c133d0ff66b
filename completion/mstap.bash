# bash completion for mstap(1): its options (from mstap --help), the values
# some take, kernel releases for -r, and probe points for -l and -L (from
# mstap --dump-probe-types, then mstap -l on what is typed so far).

# The probe points that complete WORD: the kinds of point while no '(' is
# typed, else what `mstap -l` lists for WORD followed by a wildcard, for
# the kernel that -r and --sysroot on the line name.
_mstap_probe_points()
{
    local word=$1 kind i
    local -a target=()
    for ((i = 1; i < COMP_CWORD; i++)); do
        case ${COMP_WORDS[i]} in
            -r|--sysroot) target+=("${COMP_WORDS[i]}" "${COMP_WORDS[i+1]}") ;;
        esac
    done
    if [[ $word != *'("'* ]]; then
        # Not compgen -W: it would take the quotes in 'kernel.trace("' as shell quotes.
        mstap --dump-probe-types 2>/dev/null | sed -e 's/(string).*/("/' -e 's/(number).*/(/' | sort -u |
            while IFS= read -r kind; do
                [[ $kind == "$word"* ]] && printf '%s\n' "$kind"
            done
        return
    fi
    # Inside the first string: the points it starts, the string closed.
    # (After it, the suffixes are few and shown by --dump-probe-types.)
    if [[ $word != *'")'* ]]; then
        mstap "${target[@]}" -l "${word}*\")" 2>/dev/null
    fi
}

_mstap()
{
    local cur prev
    cur=${COMP_WORDS[COMP_CWORD]}
    prev=${COMP_WORDS[COMP_CWORD-1]}

    # A probe point after -l or -L, in single quotes as it must be typed:
    # bash splits COMP_WORDS at its ( " and : even there, so the point is
    # read from the line itself. Readline completes the text after the
    # quote, and closes the quote when one point is left.
    local line=${COMP_LINE:0:COMP_POINT}
    local quoted="(^|[[:space:]])-[A-Za-z]*[lL][[:space:]]*'([^']*)\$"
    if [[ $line =~ $quoted ]]; then
        local IFS=$'\n'
        COMPREPLY=($(_mstap_probe_points "${BASH_REMATCH[2]}"))
        compopt -o nospace 2>/dev/null
        return
    fi

    case $prev in
        -p)
            COMPREPLY=($(compgen -W "1 2 3 4 5" -- "$cur"))
            return ;;
        -r)
            local releases
            releases=$(ls /lib/modules "${XDG_CACHE_HOME:-$HOME/.cache}/mstap/kernels" 2>/dev/null | grep -v ':$')
            COMPREPLY=($(compgen -W "$releases" -- "$cur") $(compgen -d -- "$cur"))
            return ;;
        --sysroot|-I)
            COMPREPLY=($(compgen -d -- "$cur"))
            return ;;
        -o)
            COMPREPLY=($(compgen -f -- "$cur"))
            return ;;
        -l|-L)
            # Not quoted yet: the kinds of point (the rest needs quotes).
            local IFS=$'\n'
            COMPREPLY=($(_mstap_probe_points "$cur"))
            compopt -o nospace 2>/dev/null
            return ;;
        -e|-m|-D|-B|-c|-x|-T|-s)
            return ;;
    esac
    if [[ $cur == --color=* || $cur == --colour=* ]]; then
        COMPREPLY=($(compgen -P "${cur%%=*}=" -W "always never auto" -- "${cur#*=}"))
        return
    fi
    if [[ $cur == -* ]]; then
        local options
        options=$(mstap --help 2>/dev/null | sed -n 's/^  \(-[^ ].*\)/\1/p' | sed 's/  .*//' |
                  grep -oE -- '--?[A-Za-z][A-Za-z-]*')
        COMPREPLY=($(compgen -W "$options" -- "$cur"))
        return
    fi
    COMPREPLY=($(compgen -f -X '!*.stp' -- "$cur") $(compgen -d -- "$cur"))
}
complete -F _mstap mstap
