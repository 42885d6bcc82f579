"""The verifier's test zoo: deliberately wrong layers (buggy*.py) and correct layers in
different styles (correct*.py). Each buggy layer names the check that must catch it."""
