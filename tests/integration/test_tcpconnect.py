#!/usr/bin/env python3
from gh import main
main([])
