"""Downloads: the engine seen from the GUI, the download queue, the pools' server queues,
the library, file drags and notices."""
