"""The write path: the writer thread, its jobs, their results and errors, and the deal cache it decides on."""
