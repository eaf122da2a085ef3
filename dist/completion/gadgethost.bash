# bash completion for gadgethost(8).
#
# Nothing here is a copy of what the program knows: the commands come from
# `gadgethost help`, each command's options from `gadgethost CMD --help`,
# the gadget names from `gadgethost list -o json` (the search path:
# $GADGETHOST_PATH, then the installed gadgets), a gadget's options and
# params from `gadgethost run GADGET --help`, and its field names (for
# --fields, -F/--filter, --sort) from `gadgethost info GADGET`.

# the option words of a help text on stdin: -x and --long-name where an
# option is written (line start, after a space, "[", "(" or "|")
_gadgethost_options_in()
{
	grep -oE '(^|[[:space:]([|])--?[A-Za-z][A-Za-z0-9-]*' | sed -E 's/^[[:space:]([|]//' | sort -u
}

_gadgethost_commands()
{
	# "  run GADGET [options]   ..." and "  deploy, undeploy   ..." lines
	"$1" help 2>/dev/null | awk '/^commands:/ {f = 1; next} f && /^$/ {exit}
		f && /^  [^ ]/ {
			n = split($0, w, " ")
			for (k = 1; k <= n; k++) { c = w[k]; more = sub(/,$/, "", c); print c; if (!more) break }
		}'
}

_gadgethost_gadgets()
{
	"$1" list -o json 2>/dev/null | sed -nE 's/^\{"name":"([^"]+)".*/\1/p'
}

# the references of the local image store (`gadgethost images -o json`)
_gadgethost_images()
{
	"$1" images -o json 2>/dev/null | sed -nE 's/^\{"reference":"([^"]+)".*/\1/p'
}

# field names of gadget $2: the first word of each line of info's FIELD table
_gadgethost_fields()
{
	"$1" info "$2" 2>/dev/null | awk '/^FIELD /{f=1; next} f && NF==0 {exit} f {print $1}'
}

# the gadget of a run command line: the first word after `run` that
# names a script (gadget names end in .lua, as `gadgethost list` shows)
# or an image of the local store
_gadgethost_run_gadget()
{
	local i images
	images=" $(_gadgethost_images "$bin" | tr '\n' ' ') "
	for ((i = $1; i < cword; i++)); do
		if [[ ${words[i]} != -* && ( ${words[i]} == *.lua || $images == *" ${words[i]} "* ) ]]; then
			printf '%s\n' "${words[i]}"
			return 0
		fi
	done
	return 1
}

# complete a comma-separated list of fields (--fields a,+b,-c; --sort -a,b)
_gadgethost_field_list()
{
	local bin=$1 gadget=$2 cur=$3 head last sign f
	head=${cur%,*}
	[ "$head" = "$cur" ] && head= || head+=,
	last=${cur##*,}
	sign=
	case $last in
	[+-]*) sign=${last:0:1} last=${last:1} ;;
	esac
	for f in $(_gadgethost_fields "$bin" "$gadget"); do
		[[ $f == "$last"* ]] && COMPREPLY+=("$head$sign$f")
	done
	compopt -o nospace 2>/dev/null
}

# -F f==v,g~re: a field name, then the operators
_gadgethost_filter()
{
	local bin=$1 gadget=$2 cur=$3 head last f op
	head=${cur%,*}
	[ "$head" = "$cur" ] && head= || head+=,
	last=${cur##*,}
	if [[ $last =~ ^[A-Za-z0-9_.]*$ ]]; then
		for f in $(_gadgethost_fields "$bin" "$gadget"); do
			[[ $f == "$last"* ]] && COMPREPLY+=("$head$f")
		done
		if [ -n "$last" ] && [ ${#COMPREPLY[@]} -eq 1 ] && [ "${COMPREPLY[0]}" = "$head$last" ]; then
			COMPREPLY=()
			for op in '==' '!=' '>=' '>' '<=' '<' '~'; do
				COMPREPLY+=("$head$last$op")
			done
		fi
		compopt -o nospace 2>/dev/null
	fi
}

_gadgethost_run()
{
	local bin=$1 first=$2 cur=$3 prev=$4 gadget
	if ! gadget=$(_gadgethost_run_gadget "$first"); then
		if [[ $cur == -* ]]; then
			return
		fi
		COMPREPLY=($(compgen -W "$(_gadgethost_gadgets "$bin") $(_gadgethost_images "$bin")" \
			-- "$cur"))
		# a gadget of one's own: a path to its .lua
		COMPREPLY+=($(compgen -f -X '!*.lua' -- "$cur") $(compgen -d -S / -- "$cur"))
		[[ ${COMPREPLY[*]} == */ ]] && compopt -o nospace 2>/dev/null
		return
	fi
	case $prev in
	-o | --output)
		COMPREPLY=($(compgen -W "columns json jsonpretty yaml pcapng" -- "$cur"))
		return ;;
	--fields | --sort)
		_gadgethost_field_list "$bin" "$gadget" "$cur"
		return ;;
	-F | --filter)
		_gadgethost_filter "$bin" "$gadget" "$cur"
		return ;;
	-c | --containername)
		COMPREPLY=($(compgen -W "$("$bin" list-containers -o json 2>/dev/null |
			sed -nE 's/.*"containerName":"([^"]+)".*/\1/p')" -- "$cur"))
		return ;;
	--runc-root | --netns)
		COMPREPLY=($(compgen -d -- "$cur"))
		return ;;
	--remote)
		COMPREPLY=($(compgen -W "unix:///run/gadgethost.sock" -- "$cur"))
		return ;;
	--ready-file | --lua-file | --docker-socket)
		COMPREPLY=($(compgen -f -- "$cur"))
		return ;;
	esac
	if [[ $cur == -* ]]; then
		# an image's help from the store alone: completion never pulls
		COMPREPLY=($(compgen -W "$("$bin" run "$gadget" --no-pull --help 2>/dev/null |
			_gadgethost_options_in)" -- "$cur"))
	fi
}

# instances [--remote URL] [--token-file F] list|attach NAME|delete NAME:
# the names from the daemon's own list
_gadgethost_instances()
{
	local bin=$1 k=$2 cur=$3 prev=$4 remote=() sub
	if [ "${words[1]}" = --remote ]; then
		remote=(--remote "${words[2]}")
	fi
	while [ "$k" -lt "$cword" ] && [[ ${words[k]} == -* ]]; do
		[ "${words[k]}" = --remote ] && remote=(--remote "${words[k + 1]}")
		((k += 2))
	done
	case $prev in
	--remote)
		COMPREPLY=($(compgen -W "unix:///run/gadgethost.sock" -- "$cur"))
		return ;;
	--token-file)
		COMPREPLY=($(compgen -f -- "$cur"))
		return ;;
	esac
	if [ "$k" -eq "$cword" ]; then
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "--remote --token-file" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "list attach delete" -- "$cur"))
		fi
		return
	fi
	sub=${words[k]}
	if [ "$cword" -eq $((k + 1)) ]; then
		case $sub in
		attach | delete)
			COMPREPLY=($(compgen -W "$("$bin" instances "${remote[@]}" list -o json 2>/dev/null |
				sed -nE 's/^\{"name":"([^"]+)".*/\1/p')" -- "$cur")) ;;
		list)
			COMPREPLY=($(compgen -W "-o" -- "$cur")) ;;
		esac
	elif [ "$sub" = list ] && [ "$prev" = -o ]; then
		COMPREPLY=($(compgen -W "json" -- "$cur"))
	fi
}

# bash replaces only the part of the word after its last = or : (both
# break words, COMP_WORDBREAKS): drop that much from each reply
_gadgethost_ltrim()
{
	local cur=$1 breaks pre i
	breaks=${COMP_WORDBREAKS//[^=:]/}
	[ -n "$breaks" ] || return 0
	pre=${cur%"${cur##*[$breaks]}"}
	[ -n "$pre" ] || return 0
	for i in "${!COMPREPLY[@]}"; do
		COMPREPLY[i]=${COMPREPLY[i]#"$pre"}
	done
}

_gadgethost()
{
	local cur prev bin cmd i=1 words cword
	# whole words (bash's own split cuts at = and :): the line up to the
	# cursor, split at blanks; a blank at the end starts an empty word
	read -r -a words <<<"${COMP_LINE:0:COMP_POINT}"
	[[ ${COMP_LINE:0:COMP_POINT} == *[[:blank:]] ]] && words+=("")
	cword=$((${#words[@]} - 1))
	cur=${words[cword]}
	prev=${words[cword - 1]}
	bin=${words[0]}
	COMPREPLY=()
	_gadgethost_main
	_gadgethost_ltrim "$cur"
}

_gadgethost_main()
{
	# `--remote URL [--token-file F] [--ca F]...` in front of a command
	if [ "${words[1]}" = --remote ]; then
		if [ "$cword" -eq 2 ]; then
			COMPREPLY=($(compgen -W "unix:///run/gadgethost.sock" -- "$cur"))
			return
		fi
		i=3
		while [ $i -lt "$cword" ] && [[ ${words[i]} == -* ]]; do
			case ${words[i]} in
			--token-file | --ca | --cert | --key | --server-name) ((i++)) ;;
			esac
			((i++))
		done
		if [ $i -eq "$cword" ]; then
			if [ "$prev" = --server-name ]; then
				return
			elif [[ $prev == --token-file || $prev == --ca || $prev == --cert ||
				$prev == --key ]]; then
				COMPREPLY=($(compgen -f -- "$cur"))
			elif [[ $cur == -* ]]; then
				COMPREPLY=($(compgen -W "$("$bin" --remote --help | _gadgethost_options_in |
					grep -v -e '^--remote$' -e '^-h')" -- "$cur"))
			else
				COMPREPLY=($(compgen -W "run list list-containers ping instances" -- "$cur"))
			fi
			return
		fi
	fi
	if [ "$cword" -eq "$i" ]; then
		COMPREPLY=($(compgen -W "$(_gadgethost_commands "$bin")" -- "$cur"))
		return
	fi
	cmd=${words[i]}
	case $cmd in
	run)
		_gadgethost_run "$bin" $((i + 1)) "$cur" "$prev"
		return ;;
	k8s)
		if [ "$cword" -eq $((i + 1)) ]; then
			COMPREPLY=($(compgen -W "run" -- "$cur"))
			return
		fi
		_gadgethost_run "$bin" $((i + 2)) "$cur" "$prev"
		if [[ $cur == -* ]]; then
			COMPREPLY+=($(compgen -W "$("$bin" k8s --help | _gadgethost_options_in)" -- "$cur"))
		fi
		return ;;
	info | check)
		if [[ $cur != -* ]]; then
			COMPREPLY=($(compgen -W "$(_gadgethost_gadgets "$bin")" -- "$cur"))
			return
		fi ;;
	instances)
		_gadgethost_instances "$bin" $((i + 1)) "$cur" "$prev"
		return ;;
	traceloop)
		if [ "$cword" -eq $((i + 1)) ]; then
			COMPREPLY=($(compgen -W "start list show delete" -- "$cur"))
			return
		fi ;;
	hook)
		if [ "$cword" -eq $((i + 1)) ]; then
			COMPREPLY=($(compgen -W "prestart createRuntime poststop" -- "$cur"))
			return
		fi ;;
	build)
		if [[ $cur != -* ]]; then
			COMPREPLY=($(compgen -f -X '!*.bpf.c' -- "$cur") $(compgen -d -S / -- "$cur"))
			[[ ${COMPREPLY[*]} == */ ]] && compopt -o nospace 2>/dev/null
			return
		fi ;;
	new)
		return ;;
	pack)
		if [ "$prev" = --doc ]; then
			COMPREPLY=($(compgen -f -- "$cur"))
			return
		elif [[ $cur != -* && $prev != -t && $prev != --tag ]]; then
			COMPREPLY=($(compgen -f -X '!*.lua' -- "$cur") $(compgen -d -S / -- "$cur"))
			[[ ${COMPREPLY[*]} == */ ]] && compopt -o nospace 2>/dev/null
			return
		fi ;;
	sign | push | pull)
		case $prev in
		--key | --verify-key | --registry-ca | --registry-auth)
			COMPREPLY=($(compgen -f -- "$cur"))
			return ;;
		esac
		if [[ $cur != -* ]]; then
			COMPREPLY=($(compgen -W "$(_gadgethost_images "$bin")" -- "$cur"))
			return
		fi ;;
	images)
		if [ "$cword" -eq $((i + 1)) ]; then
			COMPREPLY=($(compgen -W "list inspect rm export import" -- "$cur"))
			return
		fi
		if [[ $cur != -* ]]; then
			case ${words[i + 1]} in
			inspect | rm) COMPREPLY=($(compgen -W "$(_gadgethost_images "$bin")" -- "$cur")) ;;
			import) COMPREPLY=($(compgen -f -- "$cur")) ;;
			export)
				if [ "$cword" -eq $((i + 2)) ]; then
					COMPREPLY=($(compgen -f -- "$cur"))
				else
					COMPREPLY=($(compgen -W "$(_gadgethost_images "$bin")" -- "$cur"))
				fi ;;
			esac
			return
		fi ;;
	keygen)
		return ;;
	esac
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$("$bin" "$cmd" --help 2>/dev/null | _gadgethost_options_in)" -- "$cur"))
	fi
}

complete -F _gadgethost gadgethost
