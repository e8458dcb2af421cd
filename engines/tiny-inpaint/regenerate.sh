#!/usr/bin/env bash
# Regenerates engines/tiny-inpaint (ONNX graphs, model.json, parity/) from seed 1234: see engines/regenerate_task_model.sh.
exec "$(dirname "${BASH_SOURCE[0]}")/../regenerate_task_model.sh" tiny-inpaint 256
