"""The wire: exchanges, the transcript, the virtual network and loopback serving."""
