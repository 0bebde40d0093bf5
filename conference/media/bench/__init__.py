"""The SFU benchmark (`giaoban bench sfu`): generated clip, light load clients, the baseline
relay, and the run that measures the media path."""
