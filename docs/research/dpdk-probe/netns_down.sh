#!/bin/bash
ip netns del rumA 2>/dev/null; ip netns del rumB 2>/dev/null; ip netns list
