"""WaitWell lobby screen: pure core at the package root, pygame in signage.display."""
