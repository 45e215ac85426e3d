"""The tax-total request (赴港澳商务通行证): enterprises in a batch, each bureau's annual tax total back."""
