import numpy as np
import vdb as my_vector_db

# Write 100,000 random 384-d vectors to a raw float32 file.
file_path = "vectors.bin"
dimensions = 384
num_vectors = 100000
vectors = np.random.rand(num_vectors, dimensions).astype(np.float32)
vectors.tofile(file_path)

# Index the first 20,000 of them (M=16, ef_construction=200).
db = my_vector_db.VectorDB(file_path, 384, 16, 200)
db.build_index(0, 20000)

# Search a random query, given as a plain list of floats.
query = np.random.rand(dimensions).astype(np.float32)
query_list = query.tolist()
results = db.search(query_list, 5)

print("Top 5 nearest neighbours:")
for result in results:
    print(result)
